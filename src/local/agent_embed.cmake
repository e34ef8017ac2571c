# cmake -DPY=agent.py -DJS=agent_kernel.js -DOUT=sandbox_agent.h -P this:
# the agent and its JavaScript kernel as C strings for sandbox.c.
function(sf_embed var file out)
  file(READ ${file} hex HEX)
  string(LENGTH "${hex}" n)
  set(body "")
  set(i 0)
  # 32 bytes a line
  while(i LESS n)
    string(SUBSTRING "${hex}" ${i} 64 chunk)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," chunk "${chunk}")
    string(APPEND body "\t${chunk}\n")
    math(EXPR i "${i} + 64")
  endwhile()
  string(APPEND ${out} "static const char ${var}[] = {\n${body}\t0x00\n};\n")
  set(${out} "${${out}}" PARENT_SCOPE)
endfunction()

set(text "/* Generated from agent.py and agent_kernel.js; do not edit. */\n")
sf_embed(sf_sandbox_agent_py ${PY} text)
sf_embed(sf_sandbox_agent_js ${JS} text)
file(WRITE ${OUT}.tmp "${text}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
file(REMOVE ${OUT}.tmp)

# Included by CMakeLists.txt for sf_sandbox: the agent embedded as C strings,
# the unit test and the benchmark.
set(SF_AGENT_H ${CMAKE_CURRENT_BINARY_DIR}/sandbox_agent.h)
add_custom_command(OUTPUT ${SF_AGENT_H}
  COMMAND ${CMAKE_COMMAND} -DPY=${CMAKE_CURRENT_SOURCE_DIR}/agent.py
          -DJS=${CMAKE_CURRENT_SOURCE_DIR}/agent_kernel.js -DOUT=${SF_AGENT_H}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/agent_embed.cmake
  DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/agent.py
          ${CMAKE_CURRENT_SOURCE_DIR}/agent_kernel.js
          ${CMAKE_CURRENT_SOURCE_DIR}/agent_embed.cmake
  COMMENT "" VERBATIM)
target_sources(sf_sandbox PRIVATE ${SF_AGENT_H})

if(SF_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
  add_executable(test_sandbox ${CMAKE_SOURCE_DIR}/tests/unit/test_sandbox.c)
  target_link_libraries(test_sandbox PRIVATE sf_sandbox PkgConfig::CMOCKA)
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/bench/bench_sessions.c)
    add_executable(bench_sessions
                   ${CMAKE_SOURCE_DIR}/tests/bench/bench_sessions.c)
    target_link_libraries(bench_sessions PRIVATE sf_sandbox)
  endif()

  # Testing is enabled at the top, after src/ is read: register the test
  # there, once the top-level directory is done.
  function(sf_sandbox_add_tests)
    add_test(NAME unit/test_sandbox COMMAND test_sandbox)
    set_tests_properties(unit/test_sandbox PROPERTIES
      SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE)
  endfunction()
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL sf_sandbox_add_tests)
endif()

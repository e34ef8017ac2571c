# Run at every build (cmake -P) so `sandform version` names the commit the
# binary was built from; configure_file rewrites version.h only when the
# text changes, so nothing recompiles needlessly.
set(SF_GIT_COMMIT "")
if(GIT_EXECUTABLE AND EXISTS ${SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                  WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE SF_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
endif()
configure_file(${IN} ${OUT})

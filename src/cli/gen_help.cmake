# gen_help.cmake: turns docs/commands/*.md into a C source (cmake -P), so that
# `tmfinv help COMMAND` and `tmfinv COMMAND --help` print the very text of the docs page and
# the two cannot drift. Usage: cmake -DDOCS=<docs/commands> -DOUT=<file.c> -P gen_help.cmake
file(GLOB pages "${DOCS}/*.md")
list(SORT pages)
set(body "/* Generated from the pages of docs/commands by src/cli/gen_help.cmake: do not edit. */\n")
string(APPEND body "#include \"cli_help.h\"\n\nconst cli_help_page cli_help_pages[] = {\n")
set(n 0)
foreach(page ${pages})
  get_filename_component(name "${page}" NAME_WE)
  file(READ "${page}" text)
  # Escape for a C string literal: backslash, quote, '?' (no trigraphs in -std=c11), newlines.
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "?" "\\?" text "${text}")
  string(REPLACE "\t" "\\t" text "${text}")
  string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
  string(APPEND body "    {\"${name}\",\n    \"${text}\"},\n")
  math(EXPR n "${n} + 1")
endforeach()
string(APPEND body "};\nconst size_t cli_help_n_pages = ${n};\n")
file(WRITE "${OUT}" "${body}")

# cmake -DIN=config.toml -DOUT=<file> -P installed_config.cmake
# Makes the installed /etc/cdpbatch/config.toml from the repository's
# config.toml: the same keys, defaults and comments, with the store and the log
# in the daemon's folders. A line it rewrites that is gone fails the build, so
# the two cannot drift apart.
file(READ "${IN}" text)
set(rewrites
  "url = \"sqlite://var/cdpbatch.db\"" "url = \"sqlite:///var/lib/cdpbatch/cdpbatch.db\""
  "file = \"var/log/cdpbatchd.log\"" "file = \"/var/log/cdpbatch/cdpbatchd.log\"")
while(rewrites)
  list(POP_FRONT rewrites from to)
  string(FIND "${text}" "${from}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${IN} no longer has the line '${from}': "
                        "update cmake/installed_config.cmake to match it")
  endif()
  string(REPLACE "${from}" "${to}" text "${text}")
endwhile()
file(WRITE "${OUT}"
  "# Installed default: the repository's config.toml with the store in /var/lib/cdpbatch\n"
  "# and the log in /var/log/cdpbatch. The package keeps your edits on upgrade.\n"
  "${text}")

# Warnings and sanitizers live in INTERFACE targets that every chatnode target links,
# so presets switch them on and off in one place.
add_library(chatnode_options INTERFACE)
target_compile_options(chatnode_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wimplicit-fallthrough)
if(CHATNODE_WERROR)
  target_compile_options(chatnode_options INTERFACE -Werror)
endif()
# Asio/Beast need this to avoid deprecated APIs and to build warning-free.
target_compile_definitions(chatnode_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED)
if(CHATNODE_SANITIZE)
  target_compile_options(chatnode_options INTERFACE -fsanitize=${CHATNODE_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(chatnode_options INTERFACE -fsanitize=${CHATNODE_SANITIZE})
endif()

#include <catch2/catch.hpp>

#include "domain/utf8.hpp"

TEST_CASE("well-formed UTF-8 is told from overlong forms, surrogates and stray bytes") {
  CHECK(cdp::is_utf8(""));
  CHECK(cdp::is_utf8("plain ascii"));
  CHECK(cdp::is_utf8("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // été € 😀
  CHECK(cdp::is_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  CHECK_FALSE(cdp::is_utf8("\xEA\x4B\xE8\xEF"));      // stray lead bytes
  CHECK_FALSE(cdp::is_utf8("\xC0\xAF"));              // overlong '/'
  CHECK_FALSE(cdp::is_utf8("\xE0\x80\xAF"));          // overlong, 3 bytes
  CHECK_FALSE(cdp::is_utf8("\xED\xA0\x80"));          // surrogate U+D800
  CHECK_FALSE(cdp::is_utf8("\xF4\x90\x80\x80"));      // above U+10FFFF
  CHECK_FALSE(cdp::is_utf8("\xE2\x82"));              // cut short
  CHECK_FALSE(cdp::is_utf8("\x80"));                  // continuation alone
}

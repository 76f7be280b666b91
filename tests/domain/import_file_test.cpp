#include <catch2/catch.hpp>

#include "domain/import_file.hpp"

using namespace cdp;

namespace {

struct parsed {
  std::optional<failure> error;
  import_format format = import_format::unknown;
  int64_t rows = 0;
  std::vector<import_line> lines;
  std::vector<import_refusal> refusals;
};

/// Feeds `text` in pieces of `piece` bytes, taking the output as it comes.
parsed parse(std::string_view text, size_t piece = 1 << 20) {
  import_parser p;
  parsed out;
  auto take = [&] {
    for (auto& l : p.take_lines())
      out.lines.push_back(std::move(l));
    for (auto& r : p.take_refusals())
      out.refusals.push_back(std::move(r));
  };
  for (size_t at = 0; at < text.size(); at += piece) {
    p.feed(text.substr(at, piece));
    take();
  }
  p.finish();
  take();
  out.error = p.file_error();
  out.format = p.format();
  out.rows = p.rows();
  return out;
}

void check_same(const parsed& a, const parsed& b) {
  REQUIRE(a.lines.size() == b.lines.size());
  for (size_t i = 0; i < a.lines.size(); ++i) {
    CHECK(a.lines[i].row == b.lines[i].row);
    CHECK(a.lines[i].advertiser_id == b.lines[i].advertiser_id);
    CHECK(a.lines[i].name == b.lines[i].name);
    CHECK(a.lines[i].type == b.lines[i].type);
    CHECK(a.lines[i].active == b.lines[i].active);
  }
  REQUIRE(a.refusals.size() == b.refusals.size());
  for (size_t i = 0; i < a.refusals.size(); ++i) {
    CHECK(a.refusals[i].row == b.refusals[i].row);
    CHECK(a.refusals[i].reason == b.refusals[i].reason);
  }
  CHECK(a.rows == b.rows);
  CHECK(a.error.has_value() == b.error.has_value());
}

} // namespace

TEST_CASE("a CSV import file reads its rows under the header, numbered by their line") {
  auto r = parse("advertiserId,type,active\nA1,NEW,true\nA2,EXISTING,false\n\nA3,EXISTING,\n");
  REQUIRE_FALSE(r.error);
  CHECK(r.format == import_format::csv);
  CHECK(r.rows == 3);
  REQUIRE(r.lines.size() == 3);
  CHECK(r.lines[0].row == 2);
  CHECK(r.lines[0].advertiser_id == "A1");
  CHECK(r.lines[0].type == "NEW");
  CHECK(r.lines[0].active == "true");
  CHECK(r.lines[1].active == "false");
  CHECK(r.lines[2].row == 5);
  CHECK(r.lines[2].active.empty());
  CHECK(r.refusals.empty());
}

TEST_CASE("CSV columns come in any order, quoted fields hold commas, quotes and line breaks") {
  auto r = parse("active,\"advertiserId\",name\r\n"
                 "false,B1,\"Shop, \"\"the\"\" best\"\r\n"
                 "true,B2,\"two\nlines\"\r\n"
                 "true,B3,\r\n");
  REQUIRE_FALSE(r.error);
  REQUIRE(r.lines.size() == 3);
  CHECK(r.lines[0].advertiser_id == "B1");
  CHECK(r.lines[0].name == "Shop, \"the\" best");
  CHECK(r.lines[0].active == "false");
  CHECK(r.lines[0].type.empty());
  CHECK(r.lines[1].name == "two\nlines");
  CHECK(r.lines[2].row == 5);
  CHECK(r.lines[2].name.empty());
}

TEST_CASE("a byte order mark and CRLF line ends are read as if absent") {
  auto plain = parse("advertiserId,type\nC1,NEW\nC2,EXISTING");
  auto marked = parse("\xEF\xBB\xBF" "advertiserId,type\r\nC1,NEW\r\nC2,EXISTING\r\n");
  REQUIRE_FALSE(marked.error);
  check_same(plain, marked);
  CHECK(marked.lines[1].type == "EXISTING");
}

TEST_CASE("a file read in chunks of any size reads as when read whole") {
  std::string text = "\xEF\xBB\xBF" "advertiserId,name,type,active\r\n"
                     "D1,\"Caf\xC3\xA9, \"\"D\"\"\",NEW,true\r\n"
                     "D2,bad\"quote,NEW,true\r\n"
                     "D3,x,EXISTING\r\n"
                     "D4,\"multi\r\nline\",EXISTING,false\r\n";
  auto whole = parse(text);
  REQUIRE_FALSE(whole.error);
  CHECK(whole.lines.size() == 2);
  CHECK(whole.refusals.size() == 2);
  for (size_t piece : {1, 2, 3, 5, 7, 64})
    check_same(whole, parse(text, piece));
  std::string jsonl = "\xEF\xBB\xBF{\"advertiserId\":\"J\xC3\xA9\",\"type\":\"NEW\"}\n"
                      "{\"advertiserId\":\"J2\",\"active\":false}\r\n";
  auto json_whole = parse(jsonl);
  for (size_t piece : {1, 2, 3, 4})
    check_same(json_whole, parse(jsonl, piece));
}

TEST_CASE("a malformed CSV row is refused with its line and the rows around it are read") {
  auto r = parse("advertiserId,type,active\n"
                 "E1,NEW,true\n"
                 "E2,NEW\n"
                 "E3,\"NEW,true\n"
                 "E4,EXISTING,true\n");
  REQUIRE_FALSE(r.error);
  CHECK(r.rows == 3);
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0].advertiser_id == "E1");
  // The open quote of line 4 runs to the end of the file: that row is
  // refused, the row before it stands.
  REQUIRE(r.refusals.size() == 2);
  CHECK(r.refusals[0].row == 3);
  CHECK(r.refusals[0].advertiser_id == "E2");
  CHECK(r.refusals[0].reason == "the row has 2 fields, the header 3");
  CHECK(r.refusals[1].row == 4);
  CHECK(r.refusals[1].reason == "a quoted field is never closed");
}

TEST_CASE("a row longer than the limit is refused and reading resumes at the next line") {
  std::string text = "advertiserId\nF1\n\"" + std::string(import_max_row_bytes + 10, 'x')
                     + "\nF2\n";
  auto r = parse(text);
  REQUIRE_FALSE(r.error);
  REQUIRE(r.lines.size() == 2);
  CHECK(r.lines[1].advertiser_id == "F2");
  CHECK(r.lines[1].row == 4);
  REQUIRE(r.refusals.size() == 1);
  CHECK(r.refusals[0].row == 3);
  CHECK(r.refusals[0].reason.find("longer than 4096 bytes") != std::string::npos);
}

TEST_CASE("a CSV file without a usable header is a file error") {
  for (const char* text : {"A1,NEW,true\nA2,NEW,true\n", "advertiserId,kind\nA1,NEW\n",
                           "type,active\nNEW,true\n", "advertiserId,type,type\n",
                           "", "\n\n  \n", "\xEF\xBB\xBF"}) {
    auto r = parse(text);
    INFO(text);
    REQUIRE(r.error);
    CHECK(r.error->code == errc::invalid_argument);
    CHECK(r.lines.empty());
  }
  CHECK(parse("A1,NEW\n").error->message.find("unknown column 'A1'") != std::string::npos);
}

TEST_CASE("bytes that are not UTF-8 anywhere in the file make it a file error") {
  for (std::string bad : {std::string{"\xFF"}, std::string{"\xC3"}, std::string{"\xC0\xAF"},
                          std::string{"\xED\xA0\x80"}, std::string{"\xF4\x90\x80\x80"},
                          std::string{"\xE2\x82"}}) {
    auto r = parse("advertiserId,name\nG1,ok\nG2," + bad + "\nG3,ok\n");
    REQUIRE(r.error);
    CHECK(r.error->message.find("not UTF-8") != std::string::npos);
  }
  auto ends_inside = parse("advertiserId,name\nG1,caf\xC3");
  REQUIRE(ends_inside.error);
  CHECK(parse("advertiserId,name\nG1,\xE2\x82\xAC \xF0\x9F\x98\x80\n").error == std::nullopt);
}

TEST_CASE("JSON lines read one object per line; a bad line is refused, not the file") {
  auto r = parse("{\"advertiserId\":\"H1\",\"type\":\"NEW\",\"active\":true}\n"
                 "\n"
                 "{\"advertiserId\":\"H2\",\"name\":\"Two\"}\n"
                 "{\"advertiserId\":\"H3\",\"active\":\"yes\"}\n"
                 "not json\n"
                 "{\"advertiserId\":\"H4\",\"colour\":\"red\"}\n"
                 "{\"type\":\"NEW\"}\n"
                 "{\"advertiserId\":\"H5\",\"type\":null,\"active\":false}");
  REQUIRE_FALSE(r.error);
  CHECK(r.format == import_format::json_lines);
  CHECK(r.rows == 7);
  REQUIRE(r.lines.size() == 3);
  CHECK(r.lines[0].active == "true");
  CHECK(r.lines[1].row == 3);
  CHECK(r.lines[1].name == "Two");
  CHECK(r.lines[2].advertiser_id == "H5");
  CHECK(r.lines[2].row == 8);
  CHECK(r.lines[2].active == "false");
  CHECK(r.lines[2].type.empty());
  REQUIRE(r.refusals.size() == 4);
  CHECK(r.refusals[0].row == 4);
  CHECK(r.refusals[0].advertiser_id == "H3");
  CHECK(r.refusals[1].row == 5);
  CHECK(r.refusals[2].reason.find("unknown field 'colour'") != std::string::npos);
  CHECK(r.refusals[3].reason == "no advertiserId");
}

// byte_pieces_test.cpp — the <0xNN> pieces of byte fallback and base64 (data/byte_pieces.h,
// data/base64.h): every byte round-trips, look-alikes are not byte pieces, RFC 4648's vectors.
#include <catch2/catch.hpp>

#include <string>

#include "data/base64.h"
#include "data/byte_pieces.h"
#include "tensor/error.h"

using namespace qkv::data;
using Catch::Contains;

TEST_CASE("every byte has one byte piece and reads back from it", "[data][rawbpe]") {
  for (int b = 0; b < 256; ++b) {
    const std::string piece = byte_piece(static_cast<unsigned char>(b));
    REQUIRE(parse_byte_piece(piece) == static_cast<unsigned char>(b));
    REQUIRE(is_reserved_piece(piece));
  }
  CHECK(byte_piece(0x0A) == "<0x0A>");
  for (const char* not_a_byte : {"<0x0a>", "<0xG1>", "<0x123>", "0x41", "<0x4>", "<unk"}) {
    INFO(not_a_byte);
    CHECK_FALSE(parse_byte_piece(not_a_byte).has_value());
  }
  CHECK(is_reserved_piece("<eos>"));
  CHECK_FALSE(is_reserved_piece("<s>"));
}

TEST_CASE("base64 matches RFC 4648's test vectors and round-trips every byte", "[data][rawbpe]") {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == plain);
  }
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  CHECK(base64_decode(base64_encode(all)) == all);
  CHECK_THROWS_WITH(base64_decode("Zm9"), Contains("not a multiple of 4"));
  CHECK_THROWS_WITH(base64_decode("Zm!v"), Contains("character 2"));
}

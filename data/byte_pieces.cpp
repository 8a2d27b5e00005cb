// byte_pieces.cpp — the "<0xNN>" byte pieces of byte fallback (see byte_pieces.h).
#include "data/byte_pieces.h"

#include <fmt/format.h>

#include "data/utf8.h"

namespace qkv::data {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string byte_piece(unsigned char byte) { return fmt::format("<0x{:02X}>", byte); }

std::optional<unsigned char> parse_byte_piece(std::string_view piece) {
  if (piece.size() != 6 || !piece.starts_with("<0x") || piece[5] != '>') return std::nullopt;
  const int high = hex_digit(piece[3]), low = hex_digit(piece[4]);
  if (high < 0 || low < 0) return std::nullopt;
  return static_cast<unsigned char>(high * 16 + low);
}

std::vector<std::string> all_byte_pieces() {
  std::vector<std::string> pieces;
  for (int b = 0; b < 256; ++b) pieces.push_back(byte_piece(static_cast<unsigned char>(b)));
  return pieces;
}

bool is_reserved_piece(std::string_view piece) {
  return parse_byte_piece(piece).has_value() || piece == "<pad>" || piece == "<unk>" || piece == "<bos>" ||
         piece == "<eos>";
}

void append_bytes_as_utf8(std::string_view bytes, std::string& out) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    const int n = utf8_char_length(bytes, pos);
    if (n > 0) {
      out.append(bytes.substr(pos, n));
      pos += n;
    } else {
      out.append("\xEF\xBF\xBD");  // U+FFFD
      ++pos;
    }
  }
}

}  // namespace qkv::data

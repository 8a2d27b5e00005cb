// byte_pieces.h — byte fallback, SentencePiece's way: a byte that no learned piece covers is
// spelled as the piece "<0xNN>" (two upper-case hex digits), so a subword vocabulary that holds
// the 256 byte pieces can spell any text, and no character has to become <unk>.
//
//   byte_piece(0xF0);             // "<0xF0>"
//   parse_byte_piece("<0x41>");   // 0x41
//   parse_byte_piece("<0x4g>");   // nullopt: not a byte piece
//
// Reserved pieces are the byte pieces and qkv's four specials (<pad> <unk> <bos> <eos>): a
// learned subword never takes one of their spellings, or the Vocab would read it as a special.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qkv::data {

// The piece that spells one byte: "<0x00>" .. "<0xFF>".
std::string byte_piece(unsigned char byte);
// The byte a piece spells, or nullopt if the piece is not exactly "<0xNN>" (upper-case hex).
std::optional<unsigned char> parse_byte_piece(std::string_view piece);
// The 256 byte pieces, in byte order.
std::vector<std::string> all_byte_pieces();
// A byte piece or one of Vocab's specials.
bool is_reserved_piece(std::string_view piece);

// Appends the bytes of `bytes` to `out`, each maximal valid UTF-8 character as is and every
// byte that is not part of one as U+FFFD (what SentencePiece's decoder does with byte pieces
// that do not form UTF-8, so a model's output is always valid text).
void append_bytes_as_utf8(std::string_view bytes, std::string& out);

}  // namespace qkv::data

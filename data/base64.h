// base64.h — RFC 4648 base64 (with '=' padding, no line breaks), for binary data kept in text:
// a SentencePiece model inside a checkpoint's string metadata.
#pragma once

#include <string>
#include <string_view>

namespace qkv::data {

std::string base64_encode(std::string_view bytes);
// Throws qkv::Error naming the offset of the first character that is not base64, or a length
// that is not a multiple of 4.
std::string base64_decode(std::string_view text);

}  // namespace qkv::data

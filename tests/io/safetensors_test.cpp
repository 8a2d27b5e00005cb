// safetensors_test.cpp — save_safetensors / load_safetensors: round trips of every dtype, the
// exact byte layout, and a rejection with a clear message for each kind of damaged file.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "tensor/factories.h"
#include "tensor/views.h"
#include "test_temp_dir.h"

using namespace qkv;
using Catch::Contains;
using Catch::Equals;

namespace {

std::string le64(uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

// A file of the format's shape with the given header text and data bytes.
std::string craft(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

std::string floats(std::initializer_list<float> values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), values.begin(), out.size());
  return out;
}

// Writes `bytes` to a file in `dir` and returns what loading it throws (empty if nothing).
std::string load_error(const test::TempDir& dir, const std::string& bytes) {
  const std::string path = dir.file("bad.safetensors");
  test::write_bytes(path, bytes);
  try {
    load_safetensors(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("safetensors round-trips every dtype, shape and the metadata", "[io][safetensors]") {
  test::TempDir dir;
  const std::string path = dir.file("all.safetensors");
  const Tensor f32 = from_vector<float>({1.5f, -2, 3, 1e-30f, 65504, -0.0f}, {2, 3});
  const Tensor f64 = from_vector<double>({3.141592653589793, -1e300});
  const Tensor i64 = from_vector<int64_t>({INT64_MIN, -1, 0, INT64_MAX}, {2, 1, 2});
  const Tensor b = from_vector<bool>({true, false, false, true, true}, {5});
  const Tensor s = scalar(7.25, Dtype::float64);
  const Tensor empty = zeros({0, 4});
  const Tensor transposed = raw::transpose(from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3}), 0, 1);  // strided
  save_safetensors(
      path,
      {{"z.f32", f32}, {"a.f64", f64}, {"i64", i64}, {"mask", b}, {"scalar", s}, {"empty", empty}, {"t", transposed}},
      {{"d_model", "64"}, {"note", "quotes \" and \\ and ünïcode"}});
  const Checkpoint ck = load_safetensors(path);
  REQUIRE(ck.tensors.size() == 7);
  const std::vector<std::string> order{"z.f32", "a.f64", "i64", "mask", "scalar", "empty", "t"};
  for (size_t i = 0; i < order.size(); ++i) CHECK(ck.tensors[i].first == order[i]);  // file order kept
  CHECK(ck.path == path);
  CHECK(ck.metadata == Metadata{{"d_model", "64"}, {"note", "quotes \" and \\ and ünïcode"}});

  CHECK(ck.at("z.f32").dtype() == Dtype::float32);
  CHECK(ck.at("z.f32").shape() == Shape{2, 3});
  CHECK(to_vector<float>(ck.at("z.f32")) == to_vector<float>(f32));
  CHECK(std::signbit(to_vector<float>(ck.at("z.f32"))[5]));
  CHECK(to_vector<double>(ck.at("a.f64")) == to_vector<double>(f64));
  CHECK(ck.at("i64").shape() == Shape{2, 1, 2});
  CHECK(to_vector<int64_t>(ck.at("i64")) == to_vector<int64_t>(i64));
  CHECK(ck.at("mask").dtype() == Dtype::bool_);
  CHECK(to_vector<double>(ck.at("mask")) == std::vector<double>{1, 0, 0, 1, 1});
  CHECK(ck.at("scalar").dim() == 0);
  CHECK(ck.at("scalar").item() == 7.25);
  CHECK(ck.at("empty").shape() == Shape{0, 4});
  CHECK(ck.at("t").shape() == Shape{3, 2});
  CHECK(to_vector<float>(ck.at("t")) == std::vector<float>{1, 4, 2, 5, 3, 6});
  for (const auto& [name, t] : ck.tensors) {
    CHECK(t.is_contiguous());
    CHECK_FALSE(t.requires_grad());
  }
  CHECK(ck.contains("mask"));
  CHECK_FALSE(ck.contains("nope"));
  CHECK_THROWS_WITH(ck.at("nope"), Contains("no tensor 'nope'") && Contains("z.f32") && Contains(path));
}

TEST_CASE("safetensors writes the documented byte layout", "[io][safetensors]") {
  test::TempDir dir;
  const std::string path = dir.file("w.safetensors");
  save_safetensors(path, {{"w", from_vector<float>({1, 2}, {1, 2})}, {"n", from_vector<int64_t>({5})}}, {{"k", "v"}});
  const std::string bytes = test::read_bytes(path);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  CHECK((8 + n) % 8 == 0);  // the data section starts aligned
  const std::string header = bytes.substr(8, n);
  CHECK(header.rfind(R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},)"
                     R"("n":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}})",
                     0) == 0);
  CHECK(header.find_first_not_of(' ', header.find_last_of('}') + 1) == std::string::npos);  // space padding
  CHECK(bytes.size() == 8 + n + 16);
  CHECK(bytes.substr(8 + n, 8) == floats({1, 2}));
  // No metadata: no "__metadata__" entry at all.
  save_safetensors(path, {{"x", zeros({1})}});
  CHECK(test::read_bytes(path).find("__metadata__") == std::string::npos);
  CHECK(load_safetensors(path).metadata.empty());
}

TEST_CASE("an empty checkpoint is valid", "[io][safetensors]") {
  test::TempDir dir;
  save_safetensors(dir.file("e"), {});
  const Checkpoint ck = load_safetensors(dir.file("e"));
  CHECK(ck.tensors.empty());
  CHECK(ck.metadata.empty());
}

TEST_CASE("save_safetensors rejects bad names and undefined tensors before writing", "[io][safetensors]") {
  test::TempDir dir;
  const std::string path = dir.file("x.safetensors");
  const Tensor t = zeros({2});
  CHECK_THROWS_WITH(save_safetensors(path, {{"a", t}, {"a", t}}),
                    Contains("'a' is used more than once") && Contains(path));
  CHECK_THROWS_WITH(save_safetensors(path, {{"", t}}), Contains("name is empty"));
  CHECK_THROWS_WITH(save_safetensors(path, {{"__metadata__", t}}), Contains("reserved"));
  CHECK_THROWS_WITH(save_safetensors(path, {{"u", Tensor()}}), Contains("'u' is undefined"));
  CHECK_THROWS_WITH(save_safetensors(path, {{std::string("bad\xff"), t}}), Contains("UTF-8"));
  CHECK(dir.entries().empty());
}

TEST_CASE("a save that fails part-way leaves the previous checkpoint intact", "[io][safetensors]") {
  test::TempDir dir;
  const std::string path = dir.file("model.safetensors");
  save_safetensors(path, {{"w", from_vector<float>({1, 2, 3})}}, {{"step", "100"}});
  const std::string before = test::read_bytes(path);
  {
    testing::ScopedWriteHook hook([](int64_t written, int64_t) {
      if (written > 8) throw Error("injected: I/O error");  // after the length and the header
    });
    CHECK_THROWS_WITH(save_safetensors(path, {{"w", from_vector<float>({9, 9, 9})}}, {{"step", "200"}}),
                      Contains("injected"));
  }
  CHECK(test::read_bytes(path) == before);
  CHECK(dir.entries() == std::vector<std::string>{"model.safetensors"});
  CHECK(load_safetensors(path).metadata.at("step") == "100");
}

TEST_CASE("load_safetensors: missing, unreadable and too-short files", "[io][safetensors]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(load_safetensors(dir.file("absent")), Contains("absent") && Contains("cannot open"));
  CHECK_THROWS_WITH(load_safetensors(dir.path()), Contains("not a regular file"));
  CHECK_THAT(load_error(dir, ""), Contains("bad.safetensors") && Contains("0 bytes, shorter than the 8-byte"));
  CHECK_THAT(load_error(dir, "abc"), Contains("3 bytes, shorter than the 8-byte"));
}

TEST_CASE("load_safetensors: header length and JSON problems", "[io][safetensors]") {
  test::TempDir dir;
  CHECK_THAT(load_error(dir, le64(100) + "{}"),
             Contains("header length 100 is larger than the rest of the file (2 bytes)"));
  CHECK_THAT(load_error(dir, le64(UINT64_MAX) + "{}"), Contains("larger than the rest of the file"));
  CHECK_THAT(load_error(dir, craft("{\"a\": ", "")), Contains("not valid JSON"));
  CHECK_THAT(load_error(dir, craft("", "")), Contains("not valid JSON"));
  CHECK_THAT(load_error(dir, craft("[1, 2]", "")), Contains("not an object"));
  CHECK_THAT(load_error(dir, craft(R"({"a": 3})", "")), Contains("tensor 'a': expected an object"));
}

TEST_CASE("load_safetensors: entries missing fields or with bad values", "[io][safetensors]") {
  test::TempDir dir;
  const std::string data = floats({1, 2});
  CHECK_THAT(load_error(dir, craft(R"({"w": {"shape": [2], "data_offsets": [0, 8]}})", data)),
             Contains("tensor 'w': missing \"dtype\""));
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F32", "data_offsets": [0, 8]}})", data)),
             Contains("tensor 'w': missing \"shape\""));
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": [2]}})", data)),
             Contains("tensor 'w': missing \"data_offsets\""));
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F16", "shape": [4], "data_offsets": [0, 8]}})", data)),
             Contains("unknown dtype 'F16'") && Contains("F32, F64, I64 and BOOL"));
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": 32, "shape": [2], "data_offsets": [0, 8]}})", data)),
             Contains("\"dtype\" must be a string"));
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", data)),
             Contains("non-negative integers"));
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}})", data)),
             Contains("non-negative integers"));
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}})", data)),
             Contains("\"shape\" must be an array"));
  CHECK_THAT(
      load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": [1,1,1,1,1,1,1,1,2], "data_offsets": [0, 8]}})", data)),
      Contains("9 dimensions"));
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0]}})", data)),
             Contains("\"data_offsets\" must be [begin, end]"));
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", data)),
             Contains("end before they begin"));
  CHECK_THAT(load_error(dir, craft(R"({"__metadata__": {"a": 1}})", "")), Contains("metadata 'a' must be a string"));
  CHECK_THAT(load_error(dir, craft(R"({"__metadata__": ["a"]})", "")), Contains("\"__metadata__\" must be an object"));
}

TEST_CASE("load_safetensors: offsets out of range, overlapping, or not matching the shape", "[io][safetensors]") {
  test::TempDir dir;
  const std::string data = floats({1, 2, 3, 4});
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}})", data)),
             Contains("tensor 'w': shape [3] of F32 needs 12 bytes but data_offsets [0, 16] span 16"));
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F64", "shape": [4], "data_offsets": [0, 32]}})", data)),
             Contains("data section holds only 16 bytes") && Contains("truncated"));
  CHECK_THAT(load_error(dir, craft(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},)"
                                   R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})",
                                   data)),
             Contains("'a' [0, 12] and 'b' [8, 16] overlap"));
  CHECK_THAT(load_error(dir, craft(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                                   R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})",
                                   data)),
             Contains("bytes [4, 8) of the data section belong to no tensor"));
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}})", data)),
             Contains("data section holds 16 bytes but the tensors account for 12"));
  CHECK_THAT(
      load_error(dir,
                 craft(R"({"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 16]}})", data)),
      Contains("more than 2^64"));
  CHECK_THAT(load_error(dir, craft(R"({"m": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}})",
                                   std::string("\x01\x07", 2))),
             Contains("tensor 'm' (BOOL) holds byte 7 at element 1"));
}

TEST_CASE("load_safetensors: a truncated file is rejected, never half-loaded", "[io][safetensors]") {
  test::TempDir dir;
  const std::string path = dir.file("full.safetensors");
  save_safetensors(path, {{"a", ones({4})}, {"b", ones({100})}});
  const std::string bytes = test::read_bytes(path);
  for (size_t cut : {bytes.size() - 1, bytes.size() - 200, size_t{20}, size_t{7}}) {
    INFO("cut at " << cut);
    CHECK_THAT(load_error(dir, bytes.substr(0, cut)), Contains("bad.safetensors"));
  }
  CHECK_THAT(load_error(dir, bytes + "x"), Contains("trailing bytes"));
}

TEST_CASE("load_safetensors: a name listed twice is rejected", "[io][safetensors]") {
  test::TempDir dir;
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                                   R"( "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                                   floats({1, 2}))),
             Contains("lists the name 'w' more than once"));
  // Entries repeat the same field names (dtype, shape, ...); only tensor names must be unique.
  CHECK_THAT(load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                                   R"( "v": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                                   floats({1, 2}))),
             Equals(""));
}

// Found by fuzz/fuzz_safetensors.cpp (fuzz/corpus/safetensors/empty_name): a file that loaded
// but could not be saved again, since save_safetensors refuses an empty name.
TEST_CASE("load_safetensors: an empty tensor name is rejected, as save_safetensors rejects it", "[io][safetensors]") {
  test::TempDir dir;
  CHECK_THAT(load_error(dir, craft(R"({"": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", floats({1}))),
             Contains("bad.safetensors': a tensor has an empty name"));
}

// Found by fuzz/fuzz_safetensors.cpp (fuzz/corpus/safetensors/number_overflow): the JSON parser
// reports a number too large for a double with another exception type, which escaped as is.
TEST_CASE("load_safetensors: a header number too large for a double is an error naming the file", "[io][safetensors]") {
  test::TempDir dir;
  CHECK_THAT(
      load_error(dir, craft(R"({"w": {"dtype": "F32", "shape": [1e999], "data_offsets": [0, 4]}})", floats({1}))),
      Contains("bad.safetensors': the header is not valid JSON") && Contains("number overflow"));
}

TEST_CASE("load_safetensors reads files with padding and metadata anywhere", "[io][safetensors]") {
  test::TempDir dir;
  const std::string header =
      R"({"b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},)"
      R"( "__metadata__": {"x": "y"}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}   )";
  test::write_bytes(dir.file("ok"), craft(header, floats({1, 2})));
  const Checkpoint ck = load_safetensors(dir.file("ok"));
  REQUIRE(ck.tensors.size() == 2);
  CHECK(ck.tensors[0].first == "b");  // header order
  CHECK(ck.at("a").item() == 1);
  CHECK(ck.at("b").item() == 2);
  CHECK(ck.metadata.at("x") == "y");
}

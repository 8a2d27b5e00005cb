// safetensors.cpp — the safetensors writer and its validating reader.
//
// The reader trusts nothing in the file: it checks the header against the file size before
// allocating, checks every entry, and only then reads the data into fresh tensors. It never
// returns a partly loaded checkpoint.
#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <system_error>

#include "io/atomic_file.h"
#include "tensor/views.h"

namespace qkv {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data; qkv writes its memory as is");

using Json = nlohmann::ordered_json;

constexpr std::string_view kMetadataKey = "__metadata__";
// The reference implementation refuses headers above 100 MB; so do we, before allocating.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

std::string errno_message(int err) { return std::error_code(err, std::generic_category()).message(); }

std::optional<Dtype> dtype_from_name(std::string_view name) {
  if (name == "F32") return Dtype::float32;
  if (name == "F64") return Dtype::float64;
  if (name == "I64") return Dtype::int64;
  if (name == "BOOL") return Dtype::bool_;
  return std::nullopt;
}

std::string shape_string(const std::vector<uint64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

// ---- writing ---------------------------------------------------------------------------

std::string make_header(const NamedTensors& tensors, const std::vector<Tensor>& contiguous, const Metadata& metadata,
                        const std::string& path) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header[std::string(kMetadataKey)] = std::move(meta);
  }
  uint64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = contiguous[i];
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * itemsize(t.dtype());
    header[tensors[i].first] = Json{{"dtype", safetensors_dtype_name(t.dtype())},
                                    {"shape", t.shape().to_vector()},
                                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const Json::exception& e) {  // invalid UTF-8 in a name or metadata string
    throw Error(
        fmt::format("save_safetensors '{}': a tensor name or metadata string is not valid UTF-8 ({})", path, e.what()));
  }
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');
  return text;
}

// ---- reading ---------------------------------------------------------------------------

// An open file, closed on scope exit.
class InputFile {
 public:
  explicit InputFile(const std::string& path) : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    check(fd_ >= 0, "load_safetensors '{}': cannot open the file: {}", path_, errno_message(errno));
  }
  ~InputFile() { ::close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  uint64_t size() const {
    struct stat st {};
    check(::fstat(fd_, &st) == 0, "load_safetensors '{}': cannot stat the file: {}", path_, errno_message(errno));
    check(S_ISREG(st.st_mode), "load_safetensors '{}': not a regular file", path_);
    return static_cast<uint64_t>(st.st_size);
  }

  // Reads exactly n bytes at `offset`; `what` names the part of the file in the error.
  void read(uint64_t offset, void* dst, uint64_t n, std::string_view what) const {
    char* p = static_cast<char*>(dst);
    while (n > 0) {
      const ssize_t got = ::pread(fd_, p, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      check(got >= 0, "load_safetensors '{}': reading {} failed: {}", path_, what, errno_message(errno));
      check(got > 0, "load_safetensors '{}': the file ended while reading {} (was it truncated meanwhile?)", path_,
            what);
      p += got;
      n -= static_cast<uint64_t>(got);
      offset += static_cast<uint64_t>(got);
    }
  }

 private:
  std::string path_;
  int fd_;
};

struct Entry {
  std::string name;
  Dtype dtype;
  std::vector<uint64_t> shape;
  uint64_t begin;
  uint64_t end;
};

// A non-negative JSON integer, or nullopt.
std::optional<uint64_t> as_count(const Json& j) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer() && j.get<int64_t>() >= 0) return static_cast<uint64_t>(j.get<int64_t>());
  return std::nullopt;
}

// Parses the header, rejecting repeated names (JSON parsers silently keep the last one).
Json parse_header(const std::string& text, const std::string& path) {
  std::set<std::string> seen;
  std::optional<std::string> duplicate;
  Json header;
  try {
    header = Json::parse(text, [&](int depth, Json::parse_event_t event, Json& parsed) {
      if (event == Json::parse_event_t::key && depth == 1 && parsed.is_string() && !duplicate) {
        if (!seen.insert(parsed.get<std::string>()).second) duplicate = parsed.get<std::string>();
      }
      return true;
    });
  } catch (const Json::exception& e) {  // a syntax error, or a number too large for a double (1e999)
    throw Error(fmt::format("load_safetensors '{}': the header is not valid JSON: {}", path, e.what()));
  }
  check(!duplicate, "load_safetensors '{}': the header lists the name '{}' more than once", path,
        duplicate.value_or(""));
  check(header.is_object(), "load_safetensors '{}': the header is JSON but not an object (it is a {})", path,
        header.type_name());
  return header;
}

Metadata parse_metadata(const Json& j, const std::string& path) {
  check(j.is_object(), "load_safetensors '{}': \"__metadata__\" must be an object of strings, found a {}", path,
        j.type_name());
  Metadata out;
  for (const auto& [key, value] : j.items()) {
    check(value.is_string(), "load_safetensors '{}': metadata '{}' must be a string, found a {}", path, key,
          value.type_name());
    out[key] = value.get<std::string>();
  }
  return out;
}

Entry parse_entry(const std::string& name, const Json& j, const std::string& path) {
  // save_safetensors refuses an empty name, so a file with one could be loaded but never saved again.
  check(!name.empty(), "load_safetensors '{}': a tensor has an empty name", path);
  check(j.is_object(),
        "load_safetensors '{}': tensor '{}': expected an object with dtype, shape and data_offsets, "
        "found a {}",
        path, name, j.type_name());
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    check(j.contains(field), "load_safetensors '{}': tensor '{}': missing \"{}\"", path, name, field);
  }
  const Json& dtype = j.at("dtype");
  check(dtype.is_string(), "load_safetensors '{}': tensor '{}': \"dtype\" must be a string, found {}", path, name,
        dtype.dump());
  const std::optional<Dtype> d = dtype_from_name(dtype.get<std::string>());
  check(d.has_value(), "load_safetensors '{}': tensor '{}': unknown dtype '{}' (qkv reads F32, F64, I64 and BOOL)",
        path, name, dtype.get<std::string>());

  const Json& shape = j.at("shape");
  check(shape.is_array(), "load_safetensors '{}': tensor '{}': \"shape\" must be an array, found {}", path, name,
        shape.dump());
  check(shape.size() <= static_cast<size_t>(kMaxDims),
        "load_safetensors '{}': tensor '{}': shape {} has {} dimensions; "
        "qkv supports at most {}",
        path, name, shape.dump(), shape.size(), kMaxDims);
  Entry e{name, *d, {}, 0, 0};
  for (const Json& s : shape) {
    const std::optional<uint64_t> n = as_count(s);
    check(n.has_value(), "load_safetensors '{}': tensor '{}': shape {} must hold non-negative integers", path, name,
          shape.dump());
    e.shape.push_back(*n);
  }

  const Json& offsets = j.at("data_offsets");
  check(
      offsets.is_array() && offsets.size() == 2 && as_count(offsets[0]) && as_count(offsets[1]),
      "load_safetensors '{}': tensor '{}': \"data_offsets\" must be [begin, end] with non-negative integers, found {}",
      path, name, offsets.dump());
  e.begin = *as_count(offsets[0]);
  e.end = *as_count(offsets[1]);
  check(e.begin <= e.end, "load_safetensors '{}': tensor '{}': data_offsets [{}, {}] end before they begin", path, name,
        e.begin, e.end);

  uint64_t nbytes = itemsize(e.dtype);
  bool overflow = false;
  for (uint64_t s : e.shape) overflow = overflow || __builtin_mul_overflow(nbytes, s, &nbytes);
  check(!overflow && nbytes == e.end - e.begin,
        "load_safetensors '{}': tensor '{}': shape {} of {} needs {} bytes but data_offsets [{}, {}] span {}", path,
        name, shape_string(e.shape), dtype.get<std::string>(),
        overflow ? std::string("more than 2^64") : std::to_string(nbytes), e.begin, e.end, e.end - e.begin);
  return e;
}

// Offsets must lie inside the data section and tile it exactly: no overlaps, no holes (the
// format forbids holes, so a file cannot hide other content), no trailing bytes.
void check_layout(std::vector<Entry> entries, uint64_t data_size, const std::string& path) {
  for (const Entry& e : entries) {
    check(e.end <= data_size,
          "load_safetensors '{}': tensor '{}' has data_offsets [{}, {}] but the data section holds "
          "only {} bytes: the file is truncated or the offsets are wrong",
          path, e.name, e.begin, e.end, data_size);
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::pair(a.begin, a.end) < std::pair(b.begin, b.end); });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (previous) {
      check(e.begin >= previous->end, "load_safetensors '{}': tensors '{}' [{}, {}] and '{}' [{}, {}] overlap", path,
            previous->name, previous->begin, previous->end, e.name, e.begin, e.end);
    }
    check(e.begin == covered,
          "load_safetensors '{}': bytes [{}, {}) of the data section belong to no tensor "
          "(before '{}')",
          path, covered, e.begin, e.name);
    covered = e.end;
    previous = &e;
  }
  check(covered == data_size,
        "load_safetensors '{}': the data section holds {} bytes but the tensors account for {}"
        " (trailing bytes after the last tensor)",
        path, data_size, covered);
}

Tensor read_tensor(const InputFile& file, const Entry& e, uint64_t data_start, const std::string& path) {
  Shape shape;
  for (uint64_t s : e.shape) shape.push_back(static_cast<int64_t>(s));
  Tensor t = Tensor::empty(shape, e.dtype);
  const uint64_t nbytes = e.end - e.begin;
  if (nbytes == 0) return t;
  std::byte* dst = t.storage()->data() + t.offset() * static_cast<int64_t>(itemsize(e.dtype));
  file.read(data_start + e.begin, dst, nbytes, fmt::format("tensor '{}'", e.name));
  if (e.dtype == Dtype::bool_) {
    // Any byte but 0 or 1 is not a bool (reading it as one is undefined behaviour).
    const auto* bytes = reinterpret_cast<const unsigned char*>(dst);
    const auto bad = std::find_if(bytes, bytes + nbytes, [](unsigned char b) { return b > 1; });
    check(bad == bytes + nbytes,
          "load_safetensors '{}': tensor '{}' (BOOL) holds byte {} at element {}; only 0 and 1 "
          "are booleans",
          path, e.name, static_cast<int>(*bad), bad - bytes);
  }
  return t;
}

}  // namespace

std::string_view safetensors_dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32: return "F32";
    case Dtype::float64: return "F64";
    case Dtype::int64: return "I64";
    case Dtype::bool_: return "BOOL";
  }
  return "?";
}

bool Checkpoint::contains(std::string_view name) const {
  return std::any_of(tensors.begin(), tensors.end(), [&](const auto& nt) { return nt.first == name; });
}

const Tensor& Checkpoint::at(std::string_view name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return t;
  }
  std::vector<std::string_view> names;
  for (const auto& nt : tensors) names.push_back(nt.first);
  if (names.size() > 20) names.resize(20);
  throw Error(fmt::format("checkpoint '{}' has no tensor '{}' (it has {} tensors: {}{})", path, name, tensors.size(),
                          fmt::join(names, ", "), tensors.size() > 20 ? ", ..." : ""));
}

void save_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata) {
  std::set<std::string_view> names;
  std::vector<Tensor> contiguous;
  for (const auto& [name, t] : tensors) {
    check(!name.empty(), "save_safetensors '{}': a tensor name is empty", path);
    check(name != kMetadataKey, "save_safetensors '{}': '{}' is reserved for metadata, not a tensor name", path, name);
    check(names.insert(name).second, "save_safetensors '{}': the name '{}' is used more than once", path, name);
    check(t.defined(), "save_safetensors '{}': tensor '{}' is undefined", path, name);
    contiguous.push_back(raw::contiguous(t));
  }
  const std::string header = make_header(tensors, contiguous, metadata, path);

  AtomicFile out(path);
  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  out.write(length, sizeof length);
  out.write(header);
  for (const Tensor& t : contiguous) {
    const size_t nbytes = static_cast<size_t>(t.numel()) * itemsize(t.dtype());
    if (nbytes > 0) out.write(t.storage()->data() + t.offset() * static_cast<int64_t>(itemsize(t.dtype())), nbytes);
  }
  out.commit();
}

Checkpoint load_safetensors(const std::string& path) {
  const InputFile file(path);
  const uint64_t file_size = file.size();
  check(file_size >= 8, "load_safetensors '{}': the file is {} bytes, shorter than the 8-byte header length", path,
        file_size);
  unsigned char length_bytes[8];
  file.read(0, length_bytes, 8, "the header length");
  uint64_t header_size = 0;
  for (int i = 0; i < 8; ++i) header_size |= static_cast<uint64_t>(length_bytes[i]) << (8 * i);
  check(header_size <= file_size - 8,
        "load_safetensors '{}': the header length {} is larger than the rest of the "
        "file ({} bytes): not a safetensors file, or truncated",
        path, header_size, file_size - 8);
  check(header_size <= kMaxHeaderBytes, "load_safetensors '{}': the header length {} exceeds the {}-byte limit", path,
        header_size, kMaxHeaderBytes);

  std::string text(header_size, '\0');
  file.read(8, text.data(), header_size, "the header");
  const Json header = parse_header(text, path);

  Checkpoint out;
  out.path = path;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == kMetadataKey) {
      out.metadata = parse_metadata(value, path);
    } else {
      entries.push_back(parse_entry(key, value, path));
    }
  }
  const uint64_t data_start = 8 + header_size;
  check_layout(entries, file_size - data_start, path);

  for (const Entry& e : entries) out.tensors.emplace_back(e.name, read_tensor(file, e, data_start, path));
  return out;
}

}  // namespace qkv

// driver_json.h — what the PyTorch parity drivers share: tensors and numbers to and from JSON,
// the error type for a malformed request, and main()'s exit-code convention.
//
// A tensor is {"shape": [...], "dtype": "float32" | "float64" | "int64" | "bool", "data": [...]};
// a driver whose case states the dtype once may leave "dtype" out and pass it in. Numbers are
// exact both ways: nlohmann writes the shortest text that reads back as the same double, and
// float32 widens to double exactly. Non-finite numbers are the strings "inf", "-inf", "nan".
//
// Exit codes: 0 with the reply on stdout; 1 when qkv threw (a bug or a refusal on the qkv side);
// 2 when the request itself is malformed. stderr names the driver, the case and the reason.
#pragma once

#include <cmath>
#include <exception>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qkv.h"
#include "tensor/elementwise.h"

namespace qkv::parity {

using json = nlohmann::json;

// A problem with the request itself (as opposed to an error qkv raised while computing).
class RequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline double number_from_json(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (j == "inf") return INFINITY;
  if (j == "-inf") return -INFINITY;
  if (j == "nan") return NAN;
  throw RequestError("expected a number or \"inf\", \"-inf\", \"nan\", got " + j.dump());
}

inline json number_to_json(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

// object[name], or a RequestError naming the missing field.
inline const json& field(const json& object, const std::string& name) {
  if (!object.is_object() || !object.contains(name)) throw RequestError("missing field '" + name + "'");
  return object.at(name);
}

// Any dtype a tensor may have in a request.
inline Dtype dtype_from_name(const std::string& name) {
  for (Dtype d : {Dtype::float32, Dtype::float64, Dtype::int64, Dtype::bool_}) {
    if (dtype_name(d) == name) return d;
  }
  throw RequestError("unknown dtype '" + name + "' (expected float32, float64, int64 or bool)");
}

// The dtype of a module or an optimizer's parameters.
inline Dtype float_dtype(const std::string& name) {
  if (name == "float32") return Dtype::float32;
  if (name == "float64") return Dtype::float64;
  throw RequestError("dtype must be float32 or float64, got '" + name + "'");
}

// A tensor of `shape` and `dtype` from a flat JSON array of numbers.
inline Tensor tensor_from_data(const json& data, const Shape& shape, Dtype dtype) {
  if (!data.is_array()) throw RequestError("tensor data must be an array, got " + data.dump());
  if (dtype == Dtype::int64) return from_vector(data.get<std::vector<int64_t>>(), shape);
  std::vector<double> values;
  for (const json& v : data) values.push_back(number_from_json(v));
  if (dtype == Dtype::float32) return from_vector(std::vector<float>(values.begin(), values.end()), shape);
  if (dtype == Dtype::float64) return from_vector(values, shape);
  std::vector<bool> flags;
  for (double v : values) flags.push_back(v != 0);
  return from_vector(flags, shape);
}

// {"shape", "data"} read as `dtype` (the case states the dtype once).
inline Tensor tensor_from_json(const json& j, Dtype dtype) {
  return tensor_from_data(field(j, "data"), Shape(field(j, "shape").get<std::vector<int64_t>>()), dtype);
}

// {"shape", "dtype", "data"}.
inline Tensor tensor_from_json(const json& j) {
  return tensor_from_json(j, dtype_from_name(field(j, "dtype").get<std::string>()));
}

// {"shape", "dtype", "data"}, bool as 0/1; null for an undefined tensor (a gradient never made).
inline json tensor_to_json(const Tensor& t) {
  if (!t.defined()) return nullptr;
  const Tensor numeric = t.dtype() == Dtype::bool_ ? raw::to_dtype(t, Dtype::int64) : t;
  json data = json::array();
  if (numeric.dtype() == Dtype::int64) {
    for (int64_t v : to_vector<int64_t>(numeric)) data.push_back(v);
  } else {
    for (double v : to_vector<double>(numeric)) data.push_back(number_to_json(v));
  }
  return {{"shape", t.shape().to_vector()}, {"dtype", std::string(dtype_name(t.dtype()))}, {"data", data}};
}

// A driver's main(): reads one request from stdin, writes `answer(request)` to stdout, and maps
// errors to the exit codes above. `where()` names the case (and step) being run, for stderr.
inline int serve_one_request(const std::string& driver, const std::function<json(const json&)>& answer,
                             const std::function<std::string()>& where) {
  try {
    const json request = json::parse(std::cin);
    std::cout << answer(request).dump() << '\n';
    return 0;
  } catch (const RequestError& e) {
    std::cerr << driver << ": bad request at " << where() << ": " << e.what() << '\n';
  } catch (const json::exception& e) {
    std::cerr << driver << ": bad request at " << where() << ": " << e.what() << '\n';
  } catch (const std::exception& e) {
    std::cerr << driver << ": qkv error at " << where() << ": " << e.what() << '\n';
    return 1;
  }
  return 2;
}

// The main() of a driver whose request is {"cases": [case, ...]}: replies {"results": [reply, ...]}
// with run_case's reply for each case, and names the failing case by its index.
inline int serve_cases(const std::string& driver, const std::function<json(const json&)>& run_case) {
  size_t index = 0;
  return serve_one_request(
      driver,
      [&](const json& request) {
        json results = json::array();
        for (const json& c : field(request, "cases")) {
          results.push_back(run_case(c));
          ++index;
        }
        return json{{"results", results}};
      },
      [&] { return "case " + std::to_string(index); });
}

}  // namespace qkv::parity

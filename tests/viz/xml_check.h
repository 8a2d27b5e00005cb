// xml_check.h — a tiny XML well-formedness checker for the SVG tests: balanced, properly
// nested tags, quoted attributes, only the five predefined entities or numeric references,
// no stray '<' or '&' in text. Not a validating parser; the ctest svg_wellformed also parses
// the files with Python's xml.etree.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace qkv::test {

// "" if `xml` is well-formed, else a description of the first problem.
inline std::string xml_problem(std::string_view xml) {
  std::vector<std::string> open;
  size_t i = 0;
  int roots = 0;
  auto check_entity = [&](size_t at) -> bool {
    const size_t semi = xml.find(';', at);
    if (semi == std::string_view::npos || semi - at > 10) return false;
    const std::string_view name = xml.substr(at + 1, semi - at - 1);
    if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos") return true;
    if (name.size() >= 2 && name[0] == '#') {
      for (size_t k = 1; k < name.size(); ++k) {
        if (!std::isxdigit(static_cast<unsigned char>(name[k])) && !(k == 1 && name[k] == 'x')) return false;
      }
      return true;
    }
    return false;
  };
  while (i < xml.size()) {
    const char c = xml[i];
    if (c == '&') {
      if (!check_entity(i)) return "bad entity at offset " + std::to_string(i);
      ++i;
      continue;
    }
    if (c != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(c)))
        return "text outside the root at " + std::to_string(i);
      ++i;
      continue;
    }
    if (xml.substr(i, 5) == "<?xml") {
      const size_t end = xml.find("?>", i);
      if (end == std::string_view::npos) return "unterminated declaration";
      i = end + 2;
      continue;
    }
    const bool closing = i + 1 < xml.size() && xml[i + 1] == '/';
    size_t k = i + (closing ? 2 : 1);
    const size_t name_start = k;
    while (k < xml.size() && (std::isalnum(static_cast<unsigned char>(xml[k])) || xml[k] == '-' || xml[k] == ':')) ++k;
    const std::string name(xml.substr(name_start, k - name_start));
    if (name.empty()) return "a tag without a name at " + std::to_string(i);
    // Attributes: name="value" with no '<' inside and valid entities.
    bool self_closing = false;
    while (true) {
      while (k < xml.size() && std::isspace(static_cast<unsigned char>(xml[k]))) ++k;
      if (k >= xml.size()) return "unterminated tag <" + name;
      if (xml[k] == '>') {
        ++k;
        break;
      }
      if (xml.substr(k, 2) == "/>") {
        self_closing = true;
        k += 2;
        break;
      }
      if (closing) return "attributes on a closing tag </" + name;
      const size_t attr = k;
      while (k < xml.size() && (std::isalnum(static_cast<unsigned char>(xml[k])) || xml[k] == '-' || xml[k] == ':'))
        ++k;
      if (k == attr || k + 1 >= xml.size() || xml[k] != '=' || xml[k + 1] != '"') {
        return "a malformed attribute in <" + name + " at " + std::to_string(attr);
      }
      k += 2;
      while (k < xml.size() && xml[k] != '"') {
        if (xml[k] == '<') return "'<' inside an attribute of <" + name;
        if (xml[k] == '&' && !check_entity(k)) return "bad entity in an attribute of <" + name;
        ++k;
      }
      if (k >= xml.size()) return "unterminated attribute in <" + name;
      ++k;
    }
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> does not close <" + (open.empty() ? "" : open.back()) + ">";
      open.pop_back();
    } else if (!self_closing) {
      if (open.empty()) ++roots;
      open.push_back(name);
    } else if (open.empty()) {
      ++roots;
    }
    i = k;
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  if (roots != 1) return "expected one root element, found " + std::to_string(roots);
  return "";
}

// How many times `needle` occurs in `haystack`.
inline int count_of(std::string_view haystack, std::string_view needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

}  // namespace qkv::test

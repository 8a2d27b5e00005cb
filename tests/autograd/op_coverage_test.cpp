// op_coverage_test.cpp — no op escapes its gradcheck. Every name an op records under must be
// listed in autograd/op_name.h (OpName refuses any other at compile time); here every listed
// name must appear in the graph that some row of the two gradcheck tables builds, so a new op
// needs a row before the suite passes. The list cannot go stale either: a listed name no row
// reaches fails too.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/gradcheck_tables.h"
#include "autograd/node.h"
#include "autograd/op_name.h"
#include "qkv.h"

using namespace qkv;
using namespace qkv::gradcheck_tables;

namespace {

// The names of every node in the graph that produced `out`.
std::set<std::string> node_names(const Tensor& out) {
  std::set<std::string> names;
  std::set<const Node*> seen;
  std::vector<const Node*> stack;
  if (out.autograd_meta() && out.autograd_meta()->grad_fn) stack.push_back(out.autograd_meta()->grad_fn.get());
  while (!stack.empty()) {
    const Node* node = stack.back();
    stack.pop_back();
    if (!seen.insert(node).second) continue;
    names.insert(std::string(node->name()));
    for (const Node::Edge& edge : node->inputs()) {
      if (edge.meta && edge.meta->grad_fn) stack.push_back(edge.meta->grad_fn.get());
    }
  }
  return names;
}

// Every node name the rows' graphs contain (each row run once, on inputs from Generator(0)).
std::set<std::string> names_reached(const std::vector<Row>& rows) {
  std::set<std::string> names;
  for (const Row& row : rows) {
    Generator gen(0);
    const std::set<std::string> row_names = node_names(row.f(row.make_inputs(gen)));
    names.insert(row_names.begin(), row_names.end());
  }
  return names;
}

}  // namespace

TEST_CASE("every op name the library records is gradchecked by a row of one of the two tables",
          "[autograd][gradcheck]") {
  const std::set<std::string> by_op_table = names_reached(op_rows());
  const std::set<std::string> by_fused_table = names_reached(fused_rows());
  std::set<std::string> listed;
  for (std::string_view name : listed_op_names) {
    INFO("op name '" << name << "' (listed in autograd/op_name.h)");
    CHECK(listed.insert(std::string(name)).second);  // listed once
    const bool reached = by_op_table.count(std::string(name)) > 0 || by_fused_table.count(std::string(name)) > 0;
    if (!reached) {
      FAIL_CHECK("no gradcheck row builds a node named '"
                 << name << "': add a row to tests/autograd/gradcheck_table_test.cpp (ops in autograd/ops/) or "
                 << "gradcheck_fused_table_test.cpp (fused ops), or remove the name if the op is gone");
    }
  }
  // And nothing outside the list reached a graph (OpName::unlisted is for tests' own ops).
  for (const std::set<std::string>* reached : {&by_op_table, &by_fused_table}) {
    for (const std::string& name : *reached) {
      INFO("node name '" << name << "'");
      CHECK(listed.count(name) == 1);
    }
  }
}

TEST_CASE("OpName::unlisted, the escape hatch for tests' own ops, is used only under tests/", "[autograd]") {
  // Library code must record under listed names; a source file outside tests/ that calls
  // unlisted would hide its op from the coverage test above.
  namespace fs = std::filesystem;
  const fs::path root = QKV_SOURCE_DIR;
  REQUIRE(fs::exists(root / "autograd" / "op_name.h"));
  int64_t files_read = 0;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory()) {
      const bool skip = it.depth() == 0 && (name == "tests" || name.rfind("build", 0) == 0);
      if (skip || name.rfind('.', 0) == 0) it.disable_recursion_pending();
      continue;
    }
    const std::string ext = it->path().extension().string();
    if (ext != ".h" && ext != ".cpp") continue;
    if (fs::relative(it->path(), root) == fs::path("autograd") / "op_name.h") continue;  // defines it
    std::ifstream file(it->path());
    std::stringstream text;
    text << file.rdbuf();
    ++files_read;
    INFO("file " << fs::relative(it->path(), root).string());
    CHECK(text.str().find("unlisted(") == std::string::npos);
  }
  CHECK(files_read > 100);  // the walk really read the library, bench and apps
}

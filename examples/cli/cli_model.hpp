#pragma once
// cli_model.hpp — the model of `probust-cli estimate`: a probust model file
// (probust::dense_network), or, with --input-shape, a TorchScript file (probust::torch_model;
// only when probust-cli is built with libtorch, PROBUST_CLI_WITH_TORCH). Errors name the file.

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include <probust/models/model_file.hpp>
#if PROBUST_CLI_WITH_TORCH
#include <probust/torch.hpp>
#endif

#include "arguments.hpp"

namespace probust_cli {

#if PROBUST_CLI_WITH_TORCH
using cli_model = std::variant<probust::dense_network<double>, probust::torch_model>;
#else
using cli_model = std::variant<probust::dense_network<double>>;
#endif

/// "1,8,8" → {1, 8, 8}: the input shape of a TorchScript model, each dimension ≥ 1.
inline std::vector<std::int64_t> parse_shape(const std::string& option, const std::string& text) {
  std::vector<std::int64_t> shape;
  for (const std::string& item : parse_list(option, text)) {
    const std::uint64_t n = parse_positive_count(option, item);
    if (n > 1'000'000'000) throw usage_error(option + ": " + item + " is too large");
    shape.push_back(static_cast<std::int64_t>(n));
  }
  return shape;
}

/// Loads `path`: a TorchScript file for inputs of shape `input_shape` when it is not
/// empty, else a probust model file. Errors (data_error) name the file (and line).
inline cli_model load_model(const std::string& path, const std::vector<std::int64_t>& input_shape) {
  if (!std::ifstream(path).is_open()) {
    throw data_error("cannot open model file '" + path + "': " + std::strerror(errno));
  }
  if (!input_shape.empty()) {
#if PROBUST_CLI_WITH_TORCH
    try {
      return probust::load_torch_model(path, input_shape);
    } catch (const probust::invalid_argument& e) {  // a malformed file or a wrong shape
      throw data_error(without_prefix(without_prefix(e.what(), "probust::load_torch_model: "),
                                      "probust::torch_model: "));
    } catch (const probust::io_error& e) {  // a file that cannot be read
      throw data_error(without_prefix(e.what(), "probust::load_torch_model: "));
    }
#else
    throw usage_error("--input-shape: this probust-cli was built without libtorch, so it "
                      "cannot load TorchScript models (install libtorch-dev and rebuild)");
#endif
  }
  char magic[2] = {};
  std::ifstream(path, std::ios::binary).read(magic, 2);
  if (magic[0] == 'P' && magic[1] == 'K') {  // a zip archive, as TorchScript files are
    throw usage_error("--model: '" + path + "' looks like a TorchScript file; give the input "
                      "shape of one sample with --input-shape (e.g. 1,8,8)");
  }
  try {
    return probust::load_dense_network(path);
  } catch (const probust::invalid_argument& e) {  // a malformed file
    throw data_error(without_prefix(e.what(), "probust::load_dense_network: "));
  } catch (const probust::io_error& e) {  // a file that cannot be read (e.g. a directory)
    throw data_error(without_prefix(e.what(), "probust::load_dense_network: "));
  }
}

/// d, the number of inputs of the model.
inline Eigen::Index input_dimension(const cli_model& model) {
  return std::visit([](const auto& m) { return m.input_dimension(); }, model);
}

}  // namespace probust_cli

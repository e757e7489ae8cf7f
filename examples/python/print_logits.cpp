// print_logits: the logits of a probust model file at given points, as CSV.
//
// This helper exists to check exports: test_export_pytorch.py writes a PyTorch model with
// export_pytorch.py, runs this program on the file, and compares what probust computes
// with PyTorch's own float64 forward pass. It is also handy by hand, to check a model you
// exported yourself:
//
//     print_logits model.model points.csv [--jacobian]
//
// points.csv holds one point per line, its d coordinates separated by commas (no header;
// blank lines are skipped). For each point the program prints one line with the K logits
// (17 significant digits, enough to identify every double). With --jacobian it prints,
// after the logits on the same line, the K × d logit Jacobian row by row (∂f_i/∂x_j for
// i = 0..K−1, j = 0..d−1) as computed by dense_network::jacobian — what the estimators use.
// Errors go to stderr with the file and line; the exit status is then 1 (2 for bad usage).

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <probust/models/dense_network.hpp>
#include <probust/models/model_file.hpp>

namespace {

// The coordinates of one CSV line; throws std::runtime_error("<file>:<line>: ...").
Eigen::VectorXd parse_point(const std::string& line, const std::string& where, Eigen::Index d) {
  std::vector<double> values;
  std::istringstream fields(line);
  std::string field;
  while (std::getline(fields, field, ',')) {
    // strtod in the "C" locale (a C++ program starts in it): the whole field, spaces
    // around it allowed, must be one number.
    const char* begin = field.c_str();
    char* end = nullptr;
    const double value = std::strtod(begin, &end);
    while (*end == ' ' || *end == '\t') ++end;
    if (end == begin || *end != '\0' || field.find_first_not_of(" \t") == std::string::npos) {
      throw std::runtime_error(where + ": field " + std::to_string(values.size() + 1) + " '" +
                               field + "' is not a number");
    }
    if (!std::isfinite(value)) {
      throw std::runtime_error(where + ": field " + std::to_string(values.size() + 1) + " '" +
                               field + "' is not finite");
    }
    values.push_back(value);
  }
  if (!line.empty() && line.back() == ',') {  // getline drops an empty last field
    throw std::runtime_error(where + ": empty field " + std::to_string(values.size() + 1));
  }
  if (static_cast<Eigen::Index>(values.size()) != d) {
    throw std::runtime_error(where + ": " + std::to_string(values.size()) +
                             " values, but the model has " + std::to_string(d) + " inputs");
  }
  return Eigen::Map<const Eigen::VectorXd>(values.data(), d);
}

void print_values(const Eigen::MatrixXd& m, bool& first) {
  // Row by row (m(i, 0), m(i, 1), ...), whatever Eigen's storage order.
  char buffer[32];
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      std::snprintf(buffer, sizeof buffer, "%.17g", m(i, j));
      std::cout << (first ? "" : ",") << buffer;
      first = false;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  bool jacobian = false;
  std::vector<std::string> files;
  for (const std::string& arg : args) {
    if (arg == "--jacobian") {
      jacobian = true;
    } else {
      files.push_back(arg);
    }
  }
  if (files.size() != 2) {
    std::cerr << "usage: print_logits MODEL_FILE POINTS_CSV [--jacobian]\n";
    return 2;
  }
  try {
    const probust::dense_network<double> net = probust::load_dense_network(files[0]);
    std::ifstream in(files[1]);
    if (!in.is_open()) throw std::runtime_error("cannot open '" + files[1] + "'");
    std::vector<Eigen::VectorXd> points;
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      points.push_back(
          parse_point(line, files[1] + ":" + std::to_string(number), net.input_dimension()));
    }
    // All points in one batched forward pass (what Monte Carlo uses; equal to net(x) up to
    // rounding).
    Eigen::MatrixXd X(net.input_dimension(), static_cast<Eigen::Index>(points.size()));
    for (std::size_t j = 0; j < points.size(); ++j) X.col(static_cast<Eigen::Index>(j)) = points[j];
    const Eigen::MatrixXd logits = net.forward_batch(X);
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      bool first = true;
      print_values(logits.col(j), first);
      if (jacobian) print_values(net.jacobian(X.col(j)), first);
      std::cout << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "print_logits: " << e.what() << "\n";
    return 1;
  }
  return std::cout.good() ? 0 : 1;
}

#pragma once
/// \file torch.hpp
/// TorchScript models through libtorch: any network saved with torch.jit.script(m).save(...)
/// or torch.jit.trace(m, x).save(...) becomes a probust model with an exact (autograd)
/// Jacobian and a batched forward pass.
///
///     probust::torch_model model = probust::load_torch_model("cnn.pt", {1, 8, 8});
///     Eigen::VectorXd logits = model(x);       // x: the input flattened in C order
///     Eigen::MatrixXd J = model.jacobian(x);   // K × d
///     Eigen::MatrixXd F = model.forward_batch(X);   // d × n → K × n
///
/// Optional part of probust: link the CMake target probust::torch (defined when
/// find_package(Torch) succeeds; `find_package(probust COMPONENTS torch)` after install).
/// probust.hpp does not include this header.
///
/// Threads. run_dataset calls the model from its worker threads, one per core by default.
/// libtorch would additionally split every operation over its own intra-op thread pool
/// (OpenMP, as many threads as cores), so n workers would run n × cores threads. Building a
/// torch_model therefore sets libtorch's intra-op thread count to
/// torch_model_options::intra_op_threads, 1 by default: parallelism then comes from the
/// runner's workers alone. This is a process-wide libtorch setting (at::set_num_threads;
/// libtorch applies it to each thread when that thread first runs an operation); set
/// intra_op_threads = 0 to leave it alone, e.g. when one thread calls forward_batch on large
/// batches and libtorch should parallelize each call instead.
///
/// Memory. glibc's malloc gives the freed top of its heap back to the system as soon as it
/// exceeds 128 KiB, and maps allocations of that size afresh each time. A forward pass frees
/// every intermediate tensor, so each batch would fault its memory in again: that was a
/// quarter of the time of Monte Carlo through this adapter (perf, the digits CNN). With
/// torch_model_options::retain_freed_memory (default), building a torch_model under glibc
/// raises both thresholds (mallopt M_MMAP_THRESHOLD = 32 MiB, glibc's largest, and
/// M_TRIM_THRESHOLD = 64 MiB), so freed memory up to that size stays with the process for the
/// next batch. Like intra_op_threads this is process-wide.

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <ATen/Parallel.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "probust/errors.hpp"

namespace probust {

/// Options of a torch_model.
struct torch_model_options {
  /// libtorch's intra-op threads (process-wide, see the file comment), set when the model
  /// is built: 1 (default) leaves the parallelism to run_dataset's workers; 0 leaves
  /// libtorch's current setting unchanged. ≥ 0.
  int intra_op_threads = 1;
  /// Inputs per forward pass in forward_batch: memory is O(batch_chunk) whatever the
  /// number of columns passed. ≥ 1. Default 1024.
  Eigen::Index batch_chunk = 1024;
  /// Keep freed memory for the next forward pass instead of returning it to the system
  /// after each one (glibc only, process-wide; see the file comment). Default true.
  bool retain_freed_memory = true;
};

/// A TorchScript module as a probust model of scalar double. Inputs are Eigen vectors of
/// d = ∏ input_shape entries, the sample flattened in C order (what tensor.reshape(-1)
/// gives); they are reshaped to (batch, input_shape...) and converted to the module's
/// dtype (float32 or float64, taken from its first floating-point parameter or buffer;
/// float32 for a module with neither). The module must map such a batch to a tensor of
/// shape (batch, K), the logits, treating the samples of a batch independently (true of
/// networks in eval mode; the module is put in eval mode here).
///
/// Every call runs the module's graph unoptimized (torch::jit::GraphOptimizerEnabledGuard,
/// thread-local): the profiling executor would otherwise switch to an optimized graph after
/// the first calls, so a result would depend on how many calls came before it — and, in a
/// dataset run, on the thread schedule. With it, rows are identical for any thread count.
///
/// Calls are const and thread-safe (libtorch's interpreter and autograd run concurrent
/// calls of one module; gradient mode is thread-local). Copies share the module.
class torch_model {
 public:
  using vector_type = Eigen::VectorXd;
  using matrix_type = Eigen::MatrixXd;

  /// Wraps `module` for inputs of shape `input_shape` (without the batch dimension).
  /// `name` names the model in error messages (load_torch_model passes the file name).
  /// Puts the module in eval mode and its parameters to requires_grad = false (gradients
  /// are taken with respect to the input only; that makes the Jacobian's backward pass
  /// skip the weight gradients — copies of a Module share these flags, so pass
  /// module.clone() to keep training the original), applies options.intra_op_threads and
  /// options.retain_freed_memory, and runs it once on a zero input to learn K. Throws
  /// probust::invalid_argument if the shape is empty or has a dimension < 1, if an option
  /// is out of range, if the module's dtype is neither float32 nor float64, or if the module
  /// rejects an input of that shape or does not return a 1 × K tensor (K ≥ 1) for it.
  torch_model(torch::jit::Module module, std::vector<std::int64_t> input_shape,
              const torch_model_options& options = {}, std::string name = "the module")
      : module_(std::move(module)),
        shape_(std::move(input_shape)),
        options_(options),
        name_(std::move(name)) {
    constexpr const char* fn = "probust::torch_model";
    if (shape_.empty()) detail::throw_invalid_argument(fn, "input_shape is empty");
    d_ = 1;
    for (const std::int64_t n : shape_) {
      if (n < 1) {
        detail::throw_invalid_argument(fn, "input_shape " + shape_text() +
                                               " has a dimension below 1");
      }
      d_ *= n;
    }
    if (options_.intra_op_threads < 0) {
      detail::throw_invalid_argument(fn, "options.intra_op_threads must be >= 0");
    }
    if (options_.batch_chunk < 1) {
      detail::throw_invalid_argument(fn, "options.batch_chunk must be >= 1");
    }
    if (options_.intra_op_threads > 0) at::set_num_threads(options_.intra_op_threads);
#if defined(__GLIBC__)
    if (options_.retain_freed_memory) {
      mallopt(M_MMAP_THRESHOLD, 32 << 20);
      mallopt(M_TRIM_THRESHOLD, 64 << 20);
    }
#endif
    module_.eval();
    for (torch::Tensor p : module_.parameters()) p.requires_grad_(false);
    dtype_ = module_dtype();
    const torch::Tensor probe = torch::zeros(batch_shape(1), torch::dtype(dtype_));
    torch::Tensor out;
    try {
      torch::InferenceMode no_autograd;
      out = run(probe);
    } catch (const probust::invalid_argument&) {
      throw;
    } catch (const std::exception& e) {
      detail::throw_invalid_argument(fn, name_ + " does not accept an input of shape " +
                                             shape_text() + " (with a batch dimension of 1): " +
                                             first_line(e.what()));
    }
    if (out.dim() != 2 || out.size(0) != 1 || out.size(1) < 1) {
      detail::throw_invalid_argument(fn, name_ + " returned a tensor of shape " +
                                             sizes_text(out.sizes()) + " for one input of shape " +
                                             shape_text() + "; expected 1 x K logits");
    }
    k_ = out.size(1);
  }

  /// The K logits at x (d entries). Throws probust::invalid_argument if x does not have d
  /// entries or a logit is not finite.
  vector_type operator()(const vector_type& x) const {
    check_size(x.size(), "x has size");
    torch::InferenceMode no_autograd;
    vector_type logits(k_);
    copy_out(checked_run(to_tensor(x.data(), 1), 1), logits.data());
    check_finite(logits.data(), 1, 0);
    return logits;
  }

  /// The K × d Jacobian J(i, j) = ∂f_i/∂x_j by reverse-mode autograd, in one backward
  /// pass: the module runs on the batch of K copies x₁ = … = x_K = x, and
  /// ∂/∂x_i Σ_k f_k(x_k) = ∇f_i(x) since sample i affects only output row i. Throws
  /// probust::invalid_argument if x does not have d entries or a logit or derivative is
  /// not finite.
  matrix_type jacobian(const vector_type& x) const {
    check_size(x.size(), "x has size");
    torch::AutoGradMode with_autograd(true);
    const torch::Tensor copies =
        to_tensor(x.data(), 1).expand(batch_shape(k_)).clone().requires_grad_(true);
    const torch::Tensor out = checked_run(copies, k_);
    vector_type logits(k_);  // the diagonal: f_i(x_i) = f_i(x)
    copy_out(out.diagonal(), logits.data());
    check_finite(logits.data(), 1, 0);
    if (!out.requires_grad()) {  // a zero Jacobian here would be silently wrong
      detail::throw_invalid_argument(
          "probust::torch_model::jacobian",
          "the logits of " + name_ + " are not connected to its input in the autograd graph "
                                     "(computed under no_grad, detached, or constant)");
    }
    torch::Tensor grad;
    try {
      grad = torch::autograd::grad({out.diagonal().sum()}, {copies}, {}, c10::nullopt, false,
                                   /*allow_unused=*/true)[0];
    } catch (const std::exception& e) {  // e.g. an output detached from the input
      detail::throw_invalid_argument("probust::torch_model::jacobian",
                                     "cannot differentiate " + name_ + ": " + first_line(e.what()));
    }
    if (!grad.defined()) grad = torch::zeros_like(copies);  // logits that ignore the input
    // grad is K × (input_shape): row-major K × d, the transpose of a column-major d × K.
    matrix_type gradient_columns(d_, k_);
    copy_out(grad, gradient_columns.data());
    const matrix_type J = gradient_columns.transpose();
    for (Eigen::Index j = 0; j < d_; ++j) {
      for (Eigen::Index i = 0; i < k_; ++i) {
        if (!std::isfinite(J(i, j))) {
          detail::throw_invalid_argument("probust::torch_model::jacobian",
                                         name_ + " has a non-finite derivative of logit " +
                                             std::to_string(i) + " by input " + std::to_string(j));
        }
      }
    }
    return J;
  }

  /// The logits of the n columns of X (d × n) as a K × n matrix, without autograd, in
  /// forward passes of at most options.batch_chunk inputs. Throws probust::invalid_argument
  /// if X does not have d rows or a logit is not finite.
  matrix_type forward_batch(const matrix_type& X) const {
    check_size(X.rows(), "X has row count");
    torch::InferenceMode no_autograd;
    matrix_type logits(k_, X.cols());
    for (Eigen::Index start = 0; start < X.cols(); start += options_.batch_chunk) {
      const Eigen::Index n = std::min(options_.batch_chunk, X.cols() - start);
      copy_out(checked_run(to_tensor(X.col(start).data(), n), n), logits.col(start).data());
      check_finite(logits.col(start).data(), n, start);
    }
    return logits;
  }

  /// d, the number of inputs (the product of the input shape).
  Eigen::Index input_dimension() const noexcept { return d_; }
  /// K, the number of logits.
  Eigen::Index output_dimension() const noexcept { return k_; }
  /// The input shape without the batch dimension.
  const std::vector<std::int64_t>& input_shape() const noexcept { return shape_; }
  /// The module's dtype: torch::kFloat32 or torch::kFloat64.
  torch::Dtype dtype() const noexcept { return dtype_; }
  /// The wrapped module (shared with this model).
  const torch::jit::Module& module() const noexcept { return module_; }

 private:
  // The dtype of the first floating-point parameter or buffer (float32 if none).
  torch::Dtype module_dtype() const {
    for (const torch::Tensor& p : module_.parameters()) {
      if (p.is_floating_point()) return checked_dtype(p.scalar_type());
    }
    for (const torch::Tensor& b : module_.buffers()) {
      if (b.is_floating_point()) return checked_dtype(b.scalar_type());
    }
    return torch::kFloat32;
  }

  torch::Dtype checked_dtype(torch::Dtype t) const {
    if (t != torch::kFloat32 && t != torch::kFloat64) {
      detail::throw_invalid_argument("probust::torch_model",
                                     name_ + " has parameters of dtype " +
                                         std::string(c10::toString(t)) +
                                         "; only float32 and float64 modules are supported");
    }
    return t;
  }

  std::vector<std::int64_t> batch_shape(std::int64_t batch) const {
    std::vector<std::int64_t> s{batch};
    s.insert(s.end(), shape_.begin(), shape_.end());
    return s;
  }

  // n inputs of d doubles each, contiguous, as a fresh (batch, shape...) tensor of the
  // module's dtype (a copy: the module may modify its input in place).
  torch::Tensor to_tensor(const double* data, Eigen::Index n) const {
    const torch::Tensor view = torch::from_blob(const_cast<double*>(data),
                                                batch_shape(n), torch::kFloat64);
    return view.to(dtype_, /*non_blocking=*/false, /*copy=*/true);
  }

  // Runs forward on `input` with the graph optimizer off (see the class comment).
  torch::Tensor run(const torch::Tensor& input) const {
    torch::jit::GraphOptimizerEnabledGuard unoptimized(false);
    at::internal::lazy_init_num_threads();  // this thread takes intra_op_threads now
    const torch::IValue out = module_.get_method("forward")({input});
    if (!out.isTensor()) {
      detail::throw_invalid_argument("probust::torch_model",
                                     name_ + " returned a " + out.tagKind() +
                                         ", expected a tensor of logits");
    }
    return out.toTensor();
  }

  // run(), with the output checked to be n × K.
  torch::Tensor checked_run(const torch::Tensor& input, std::int64_t n) const {
    constexpr const char* fn = "probust::torch_model";
    torch::Tensor out;
    try {
      out = run(input);
    } catch (const probust::invalid_argument&) {
      throw;
    } catch (const std::exception& e) {
      detail::throw_invalid_argument(fn, name_ + " failed: " + first_line(e.what()));
    }
    if (out.dim() != 2 || out.size(0) != n || out.size(1) != k_) {
      detail::throw_invalid_argument(fn, name_ + " returned a tensor of shape " +
                                             sizes_text(out.sizes()) + " for " +
                                             std::to_string(n) + " inputs; expected " +
                                             std::to_string(n) + " x " + std::to_string(k_));
    }
    return out;
  }

  // Throws unless the n × K logits at `values` (column-major K × n) are finite; the inputs
  // are numbered from `first`.
  void check_finite(const double* values, Eigen::Index n, Eigen::Index first) const {
    for (Eigen::Index at = 0; at < n * k_; ++at) {
      if (!std::isfinite(values[at])) {
        detail::throw_invalid_argument(
            "probust::torch_model",
            name_ + " returned a non-finite logit (" +
                (std::isnan(values[at]) ? "NaN" : values[at] > 0 ? "+inf" : "-inf") +
                ") at index " + std::to_string(at % k_) + " for input " +
                std::to_string(first + at / k_));
      }
    }
  }

  // Copies a tensor's values, in C order, as doubles to `target`.
  static void copy_out(const torch::Tensor& t, double* target) {
    const torch::Tensor values = t.detach().to(torch::kFloat64).contiguous();
    std::memcpy(target, values.data_ptr<double>(),
                static_cast<std::size_t>(values.numel()) * sizeof(double));
  }

  void check_size(Eigen::Index size, const char* what) const {
    if (size != d_) {
      detail::throw_invalid_argument("probust::torch_model",
                                     std::string(what) + " " + std::to_string(size) +
                                         " but the input shape " + shape_text() + " of " +
                                         name_ + " has " + std::to_string(d_) + " elements");
    }
  }

  std::string shape_text() const { return sizes_text(shape_); }

  static std::string sizes_text(c10::IntArrayRef sizes) {
    std::string s = "[";
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      s += (i ? ", " : "") + std::to_string(sizes[i]);
    }
    return s + "]";
  }

  static std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
  }

  torch::jit::Module module_;
  std::vector<std::int64_t> shape_;
  torch_model_options options_;
  std::string name_;
  Eigen::Index d_ = 0;
  Eigen::Index k_ = 0;
  torch::Dtype dtype_ = torch::kFloat32;
};

/// Loads the TorchScript archive `path` (torch.jit.save / ScriptModule.save, CPU) as a
/// torch_model for inputs of shape `input_shape` (without the batch dimension, e.g.
/// {1, 8, 8}). Throws probust::io_error naming the file if it cannot be opened,
/// probust::invalid_argument if it is not a TorchScript archive, and the errors of the
/// torch_model constructor.
inline torch_model load_torch_model(const std::string& path,
                                    std::vector<std::int64_t> input_shape,
                                    const torch_model_options& options = {}) {
  constexpr const char* fn = "probust::load_torch_model";
  if (!std::ifstream(path, std::ios::binary).is_open()) {
    detail::throw_io_error(fn, "cannot open " + path);
  }
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, torch::kCPU);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    detail::throw_invalid_argument(
        fn, path + " is not a TorchScript archive (save it with torch.jit.script(model)"
                   ".save(path) or torch.jit.trace(model, example).save(path)): " +
                what.substr(0, what.find('\n')));
  }
  return torch_model(std::move(module), std::move(input_shape), options, path);
}

}  // namespace probust

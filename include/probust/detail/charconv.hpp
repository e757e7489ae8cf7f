#pragma once
/// \file detail/charconv.hpp
/// The one place where probust turns numbers into text and back: std::to_chars /
/// std::from_chars, i.e. the shortest decimal that reads back as the same value, correctly
/// rounded parsing and exact integer parsing, all independent of the C and C++ locales.

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "probust/errors.hpp"

namespace probust {
namespace detail {

/// The shortest decimal text that std::from_chars (and parse_number) reads back as exactly
/// `value` (std::to_chars, general format): "0.1", "1e-05", "4.9406564584124654e-324" is
/// "5e-324", "-0". Non-finite values are "inf", "-inf", "nan" or "-nan" (callers that
/// must not write them check first).
template <class T>
std::string format_number(T value) {
  static_assert(std::is_floating_point_v<T>, "probust::detail::format_number: a float type");
  char text[64];  // the longest shortest form of a long double is below 50 characters
  const std::to_chars_result result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

/// format_number for double.
inline std::string format_double(double value) { return format_number(value); }

/// Why a text is not a number for parse_number.
enum class number_error {
  none,          ///< parsed
  empty,         ///< the text is empty
  not_a_number,  ///< it does not start with a number, or has text after it
  out_of_range   ///< its magnitude is beyond the type's range (e.g. 1e400 for a double)
};

/// The value of a text, or why it has none.
template <class T>
struct parsed_number {
  T value{};
  number_error error = number_error::none;
  explicit operator bool() const noexcept { return error == number_error::none; }
};

/// What a std::from_chars result that should have consumed the text up to `last` says:
/// out_of_range when every character was valid but the value does not fit, not_a_number
/// when something was left over or nothing was read.
inline number_error from_chars_error(std::from_chars_result result, const char* last) noexcept {
  if (result.ec == std::errc::result_out_of_range && result.ptr == last) {
    return number_error::out_of_range;
  }
  return result.ec != std::errc() || result.ptr != last ? number_error::not_a_number
                                                        : number_error::none;
}

/// The number that is all of `text`, correctly rounded to T (std::from_chars, general
/// format: decimal or exponent notation, no hexadecimal, no spaces), with one optional
/// leading '+'. "inf", "infinity" and "nan" (any case, with a sign) are accepted and give
/// ±∞ and NaN: callers that need a finite value check std::isfinite. Subnormal results
/// are returned as such; magnitudes that round to 0 or overflow are out_of_range.
template <class T>
parsed_number<T> try_parse_number(std::string_view text) noexcept {
  static_assert(std::is_floating_point_v<T>, "probust::detail::try_parse_number: a float type");
  parsed_number<T> out;
  if (text.empty()) {
    out.error = number_error::empty;
    return out;
  }
  const char* first = text.data();
  const char* last = first + text.size();
  if (*first == '+' && last - first > 1 && first[1] != '-') ++first;
  out.error = from_chars_error(std::from_chars(first, last, out.value), last);
  return out;
}

/// The integer that is all of `text`, in base `base` (std::from_chars: digits only, a
/// leading '-' for a signed type, no '+', prefix or spaces). out_of_range when the digits
/// are valid but the value does not fit Integer (e.g. "-1" for an unsigned type is
/// not_a_number, "1" followed by 30 zeros is out_of_range).
template <class Integer>
parsed_number<Integer> try_parse_integer(std::string_view text, int base = 10) noexcept {
  static_assert(std::is_integral_v<Integer>, "probust::detail::try_parse_integer: an integer");
  parsed_number<Integer> out;
  if (text.empty()) {
    out.error = number_error::empty;
    return out;
  }
  const char* last = text.data() + text.size();
  out.error = from_chars_error(std::from_chars(text.data(), last, out.value, base), last);
  return out;
}

/// What is wrong with a text, for a message: "is empty", "is not a number", "is out of
/// range".
inline const char* describe(number_error error) noexcept {
  switch (error) {
    case number_error::none:
      return "is a number";
    case number_error::empty:
      return "is empty";
    case number_error::not_a_number:
      return "is not a number";
    case number_error::out_of_range:
      return "is out of range";
  }
  return "is not a number";
}

/// try_parse_number<double>, throwing probust::invalid_argument
/// "<function>: '<text>' is not a number" (or "is empty", "is out of range").
inline double parse_double(std::string_view text, const char* function) {
  const parsed_number<double> parsed = try_parse_number<double>(text);
  if (!parsed) {
    throw_invalid_argument(function, "'" + std::string(text) + "' " + describe(parsed.error));
  }
  return parsed.value;
}

}  // namespace detail
}  // namespace probust

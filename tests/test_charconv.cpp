// detail/charconv.hpp, the one number formatter and parser: shortest round trip of random
// doubles and of subnormals (against an independent printf/strtod search), ±inf and NaN as
// documented, errors, independence from the global C and C++ locales, and integers at the
// limits of their types.
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <locale>
#include <random>
#include <stdexcept>
#include <string>

#include "catch_shim.hpp"
#include "probust/detail/charconv.hpp"
#include "probust/errors.hpp"

namespace {

using probust::detail::format_double;
using probust::detail::number_error;
using probust::detail::parse_double;
using probust::detail::try_parse_number;

std::uint64_t bits_of(double x) {
  std::uint64_t b = 0;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

double from_bits(std::uint64_t b) {
  double x = 0.0;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// The shortest printf("%.{p-1}e") text (fewest digits p) that reads back (strtod) as x:
// an oracle independent of <charconv>, valid in the "C" locale. to_chars writes the
// shortest digits in fixed or scientific notation, whichever text is shorter ("100" for
// 1e+02, "-253295354392667979776" for -2.5329535439266798e+20), never a longer one.
std::string shortest_scientific(double x) {
  char text[64];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(text, sizeof text, "%.*e", p - 1, x);
    if (bits_of(std::strtod(text, nullptr)) == bits_of(x)) break;
  }
  return text;
}

void check_round_trip(double x) {
  const std::string text = format_double(x);
  INFO(text);
  const auto parsed = try_parse_number<double>(text);
  REQUIRE(parsed);
  CHECK(bits_of(parsed.value) == bits_of(x));
  CHECK(text.size() <= shortest_scientific(x).size());
  // strtod agrees on the value of the text (correct rounding, both ways).
  CHECK(bits_of(std::strtod(text.c_str(), nullptr)) == bits_of(x));
}

}  // namespace

TEST_CASE("charconv: known values are written in their shortest form") {
  CHECK(format_double(0.1) == "0.1");
  CHECK(format_double(1e-5) == "1e-05");
  CHECK(format_double(0.25) == "0.25");
  CHECK(format_double(-0.0) == "-0");
  CHECK(format_double(std::numeric_limits<double>::denorm_min()) == "5e-324");
  CHECK(format_double(1.0 / 3.0) == "0.3333333333333333");
  CHECK(parse_double("0.1", "f") == 0.1);
  CHECK(parse_double("+2.5e3", "f") == 2500.0);
}

TEST_CASE("charconv: random doubles and subnormals round-trip in the fewest digits") {
  std::mt19937_64 gen(20261203);
  for (int i = 0; i < 20000; ++i) {
    const double x = from_bits(gen());
    if (!std::isfinite(x)) continue;
    check_round_trip(x);
  }
  // Subnormals: random mantissas with a zero exponent, and the extremes.
  const std::uint64_t mantissa = (std::uint64_t{1} << 52) - 1;
  for (int i = 0; i < 2000; ++i) check_round_trip(from_bits(gen() & mantissa));
  check_round_trip(std::numeric_limits<double>::denorm_min());
  check_round_trip(std::numeric_limits<double>::min());
  check_round_trip(std::nextafter(std::numeric_limits<double>::min(), 0.0));
  check_round_trip(std::numeric_limits<double>::max());
  check_round_trip(std::numeric_limits<double>::lowest());
}

TEST_CASE("charconv: inf and nan are written and read as documented") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(format_double(inf) == "inf");
  CHECK(format_double(-inf) == "-inf");
  CHECK(format_double(std::numeric_limits<double>::quiet_NaN()).find("nan") != std::string::npos);
  CHECK(try_parse_number<double>("inf").value == inf);
  CHECK(try_parse_number<double>("-infinity").value == -inf);
  CHECK(std::isnan(try_parse_number<double>("nan").value));
}

TEST_CASE("charconv: malformed text is rejected with a clear error") {
  CHECK(try_parse_number<double>("").error == number_error::empty);
  for (const char* bad : {"abc", "1.5x", " 1", "1 ", "0x10", "+-1", "+", "--1", "1,5", "e5"}) {
    INFO(bad);
    CHECK(try_parse_number<double>(bad).error == number_error::not_a_number);
  }
  CHECK(try_parse_number<double>("1e400").error == number_error::out_of_range);
  CHECK(try_parse_number<double>("-1e400").error == number_error::out_of_range);
  CHECK(try_parse_number<double>("1e-400").error == number_error::out_of_range);
  CHECK_THROWS_WITH(parse_double("1.5x", "probust::f"), "probust::f: '1.5x' is not a number");
  CHECK_THROWS_AS(parse_double("", "probust::f"), probust::invalid_argument);
  // float: its own range.
  CHECK(try_parse_number<float>("1e39").error == number_error::out_of_range);
  CHECK(try_parse_number<float>("0.1").value == 0.1f);
}

TEST_CASE("charconv: independent of the global C and C++ locales") {
  const char* found = nullptr;
  for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8", "fr_FR.utf8"}) {
    if (std::setlocale(LC_ALL, name) != nullptr) {
      found = name;
      break;
    }
  }
  if (found == nullptr) {
    WARN("no locale with a decimal comma (de_DE, fr_FR) is installed; check skipped");
    return;
  }
  const std::string c_numeric = std::localeconv()->decimal_point;
  std::locale previous = std::locale::global(std::locale(found));
  INFO("locale " << found << ", decimal point '" << c_numeric << "'");
  CHECK(format_double(1234.5) == "1234.5");
  CHECK(format_double(0.1) == "0.1");
  CHECK(parse_double("1234.5", "f") == 1234.5);
  CHECK(try_parse_number<double>("1234,5").error == number_error::not_a_number);
  std::locale::global(previous);
  std::setlocale(LC_ALL, "C");
}

TEST_CASE("charconv: integers are read exactly, whole text only, in base 10 or 16") {
  using probust::detail::try_parse_integer;
  CHECK(try_parse_integer<int>("0").value == 0);
  CHECK(try_parse_integer<int>("-2147483648").value == std::numeric_limits<int>::min());
  CHECK(try_parse_integer<std::uint64_t>("18446744073709551615").value ==
        std::numeric_limits<std::uint64_t>::max());
  CHECK(try_parse_integer<std::uint64_t>("ff", 16).value == 255u);
  CHECK(try_parse_integer<std::uint64_t>("DEADBEEF", 16).value == 0xdeadbeefu);
  CHECK(try_parse_integer<int>("").error == number_error::empty);
  CHECK(try_parse_integer<int>("2147483648").error == number_error::out_of_range);
  CHECK(try_parse_integer<std::uint64_t>("18446744073709551616").error ==
        number_error::out_of_range);
  for (const char* bad : {"-1", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "abc"}) {
    INFO(bad);
    CHECK(try_parse_integer<std::uint64_t>(bad).error == number_error::not_a_number);
  }
  CHECK(try_parse_integer<int>("-1").value == -1);
  CHECK(try_parse_integer<int>("+1").error == number_error::not_a_number);
}

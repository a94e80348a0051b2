// The command line of the project's programs, the same way in each: CLI11
// parses; this sets it up and fixes the output and exit codes.
//
//   wandb::cli::App app("wandb_demo", "Trains a tiny segmenter ...");
//   int steps = 60;
//   app.add_integer("--steps", steps, "training steps (default 60)", /*min=*/1);
//   app.parse_or_exit(argc, argv);
//   return app.run([&] { ...; return 0; });
//
// Exit status: 0 done (and -h/--help, --version), 1 failed while running,
// 2 bad command line.
#pragma once

#include <CLI/CLI.hpp>

#include <charconv>
#include <climits>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "wandb/version.h"

namespace wandb::cli {

inline constexpr int kOk = 0;
inline constexpr int kFailure = 1;
inline constexpr int kUsage = 2;

namespace detail {

// CLI11's layout, reordered so that the first line is "usage: ...", which is
// what tests and users grep for; positionals show as <name>.
class Formatter : public CLI::Formatter {
 public:
  Formatter() {
    label("Usage", "usage");
    label("OPTIONS", "options");
    label("Positionals", "arguments");
    column_width(24);
  }
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    std::string text = make_usage(app, std::move(name));
    if (!app->get_description().empty()) text += "\n" + make_description(app);
    text += make_positionals(app) + make_groups(app, mode);
    if (!app->get_footer().empty()) text += "\n" + make_footer(app);
    return text;
  }
  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override {
    if (is_positional) return "<" + opt->get_name(true, false) + ">";
    std::string names = opt->get_name(false, true);
    for (size_t at = names.find(','); at != std::string::npos; at = names.find(',', at + 2)) {
      names.insert(at + 1, " ");
    }
    return names;
  }
  std::string make_option_opts(const CLI::Option* opt) const override {
    // A positional's name says what it is; "TEXT REQUIRED" would only repeat the usage line.
    return opt->get_positional() || opt->get_items_expected_max() == 0 ? "" : " " + opt->get_type_name();
  }
};

inline std::string first_line(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

}  // namespace detail

// A transform for an integer option: a whole decimal integer from min to max,
// made plain decimal (CLI11 would read "010" as octal). Use it with
// ->transform(), not ->check(), which could not rewrite the value. Its message
// becomes "<option>: expected a positive integer, got "abc"".
inline CLI::Validator integer(long long min, long long max = INT_MAX) {
  std::string expected;
  if (max != INT_MAX) {
    expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  } else if (min == 1 || min == 0) {
    expected = min == 1 ? "a positive integer" : "a non-negative integer";
  } else {
    expected = "an integer >= " + std::to_string(min);
  }
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        long long value = 0;
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value);
        if (error == std::errc() && stop == end && value >= min && value <= max) {
          text = std::to_string(value);  // CLI11 converts with base 0: "010" would be 8
          return "";
        }
        // An integer that is merely too large would otherwise read as "not a number".
        const bool too_large =
            (error == std::errc::result_out_of_range || (error == std::errc() && value > max)) &&
            stop == end && text[0] != '-';
        return "expected " + expected + (too_large ? " up to " + std::to_string(max) : "") + ", got \"" +
               text + "\"";
      },
      "");
}

// A check for the name of an image file to write: it ends in .png, .jpg, .jpeg
// or .bmp (any case), the types the library writes, so that a typo fails
// before the program has done any work.
inline CLI::Validator image_file_name() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const size_t dot = text.rfind('.');
        const std::string ext = dot == std::string::npos ? "" : CLI::detail::to_lower(text.substr(dot));
        if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp") return "";
        return "expected a file name ending in .png, .jpg, .jpeg or .bmp, got \"" + text + "\"";
      },
      "");
}

class App : public CLI::App {
 public:
  // `name` is the program's name as users type it; it starts every message.
  App(std::string name, std::string description) : CLI::App(std::move(description), std::move(name)) {
    formatter(std::make_shared<detail::Formatter>());
    option_defaults()->group("options");
    // As getopt programs do: a repeated option takes its last value.
    option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    set_help_flag("-h,--help", "print this help and exit");
    set_version_flag("--version", [this] { return version_text(); }, "print the version and exit");
    footer("exit status: 0 done, 1 failed while running, 2 bad command line");
  }

  // Parses the command line, and returns only when it is good. -h/--help or
  // --version anywhere before "--" print to stdout and exit 0, before any
  // other argument is looked at (so that a bad value next to them neither
  // hides the help nor has any effect). A bad command line prints one line,
  // "<name>: <what>", to stderr and exits 2.
  void parse_or_exit(int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (arg == "--") break;
      if (arg == "-h" || arg == "--help") print_and_exit(help());
      if (arg == "--version") print_and_exit(version_text() + "\n");
    }
    try {
      parse(argc, argv);
    } catch (const CLI::CallForHelp&) {  // -h inside a group of short flags, as in -hx
      print_and_exit(help());
    } catch (const CLI::CallForVersion&) {
      print_and_exit(version_text() + "\n");
    } catch (const CLI::ParseError& e) {
      std::cerr << get_name() << ": " << describe(e) << std::endl;
      std::exit(kUsage);
    }
  }

  // An int option that takes a whole decimal integer from min to max; its
  // value name in the help is N unless ->type_name() says otherwise.
  CLI::Option* add_integer(std::string name, int& value, std::string description, int min,
                           int max = INT_MAX) {
    return add_option(std::move(name), value, std::move(description))
        ->type_name("N")
        ->transform(integer(min, max));
  }

  // "<name> (wandb-image) <library version>".
  std::string version_text() const { return get_name() + " (wandb-image) " + wandb::version(); }

  // Runs the program's work: body() returns its exit status (or nothing, for
  // 0). An exception escaping it prints "<name>: <message>" (its first line)
  // to stderr and makes the status 1.
  template <class Body>
  int run(Body&& body) const {
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<Body>>) {
        std::forward<Body>(body)();
        return kOk;
      } else {
        return std::forward<Body>(body)();
      }
    } catch (const std::exception& e) {
      return fail(e.what());
    } catch (...) {
      return fail("unknown exception");
    }
  }

  // Prints "<name>: <message>" to stderr; returns 1, for `return app.fail(...)`.
  int fail(std::string_view message) const {
    std::cerr << get_name() << ": " << detail::first_line(message) << std::endl;
    return kFailure;
  }

 private:
  [[noreturn]] static void print_and_exit(const std::string& text) {
    std::cout << text << std::flush;
    std::exit(std::cout ? kOk : kFailure);  // e.g. stdout on a full disk
  }

  // CLI11's messages, reworded as "what: expected X, got Y" where they are not.
  std::string describe(const CLI::ParseError& e) const {
    // A mistyped option is the likeliest cause of whatever else went wrong.
    const auto extras = remaining(false);
    if (!extras.empty() && extras.front().size() > 1 && extras.front()[0] == '-') {
      return extras.front() + ": unknown option (see --help)";
    }
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr && !extras.empty()) {
      return "unexpected argument \"" + extras.front() + "\" (see --help)";
    }
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      for (const CLI::Option* opt : get_options()) {
        if (opt->get_required() && opt->count() == 0) {
          return "missing " + (opt->get_positional() ? "<" + opt->get_name() + ">" : opt->get_name()) +
                 " (see --help)";
        }
      }
    }
    const std::string what = detail::first_line(e.what());
    // An option given last, or as --name=, without its value: "--steps: 1 required N missing".
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr && what.rfind("-", 0) == 0 &&
        what.find(" required ") != std::string::npos && what.size() > 8 &&
        what.compare(what.size() - 8, 8, " missing") == 0) {
      return what.substr(0, what.find(':')) + ": expected a value, got none";
    }
    // "Could not convert: --live = maybe"; integer() spares the other options this.
    const std::string_view prefix = "Could not convert: ";
    const size_t equals = what.find(" = ");
    if (dynamic_cast<const CLI::ConversionError*>(&e) != nullptr && what.rfind(prefix, 0) == 0 &&
        equals != std::string::npos) {
      const std::string name = what.substr(prefix.size(), equals - prefix.size());
      const CLI::Option* opt = get_option_no_throw(name);
      std::string expected = "a valid value";
      if (opt != nullptr) {
        expected = opt->get_items_expected_max() == 0 ? "true or false (or no value)" : opt->get_type_name();
      }
      return name + ": expected " + expected + ", got \"" + what.substr(equals + 3) + "\"";
    }
    return what;
  }
};

}  // namespace wandb::cli

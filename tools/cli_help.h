// -h / --help for the project's programs: anywhere on the command line, it
// prints the usage text to stdout and ends the program with status 0 before
// the program reads, writes or starts anything.
#pragma once

#include <cstdlib>
#include <iostream>
#include <string_view>

namespace wandb::cli {

inline void exit_on_help(int argc, char** argv, std::string_view usage) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") return;  // what follows is an operand
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      std::cout.flush();
      std::exit(0);
    }
  }
}

}  // namespace wandb::cli

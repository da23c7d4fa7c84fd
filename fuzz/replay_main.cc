// Replays every file of a fuzz corpus through a fuzz target, so the corpus runs as a CTest
// regression test in every build (g++ included), not only under libFuzzer.
//
//   <target>_replay <corpus dir>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  size_t count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[1])) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    ++count;
  }
  if (count == 0) {
    std::fprintf(stderr, "%s: empty corpus\n", argv[1]);
    return 1;
  }
  std::printf("replayed %zu inputs from %s\n", count, argv[1]);
  return 0;
}

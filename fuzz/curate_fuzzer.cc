// Fuzz target: what the curation pipeline reads from others. The first byte picks:
//   0: the rest is a signatures.bin: refused with an error, or every entry it claims can be
//      read (sorted sections stay inside the file) and every signature has its length;
//   else: the rest is a document's text: its MinHash signature has one value per permutation,
//      is stable, and agrees with itself.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "rsf/curate/minhash.h"
#include "rsf/curate/signature_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] == 0) {
    char path[] = "/tmp/rsf-fuzz-sig-XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd < 0) return 0;
    ::close(fd);
    std::ofstream(path, std::ios::binary) << rest;
    auto f = rsf::curate::SignatureFile::Open(path);
    ::unlink(path);
    if (!f.ok()) return 0;
    const auto& file = **f;
    // A file with neither section holds only a count (checked against the shard's manifest
    // by merge); there is nothing per document to read.
    if (!file.exact() && !file.near()) return 0;
    const size_t perms = file.near() ? static_cast<size_t>(file.params().permutations()) : 0;
    for (uint64_t i = 0; i < file.documents(); ++i) {
      if (file.exact()) (void)file.digest_entry(i);
      if (file.near()) {
        for (int b = 0; b < file.params().bands; ++b) (void)file.key_entry(b, i);
        if (file.signature(static_cast<uint32_t>(i)).size() != perms) std::abort();
      }
    }
    return 0;
  }
  const rsf::curate::MinHasher h{rsf::curate::MinHashParams{}};
  const auto a = h.Compute(rest);
  if (a.size() != 126 || a != h.Compute(rest) || rsf::curate::EstimateJaccard(a, a) != 1.0) std::abort();
  return 0;
}

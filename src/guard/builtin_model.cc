// The default guard model, models/guard/default.rsfguard, linked into the library so rsf runs
// without any file beside the binary. CMake passes the file's absolute path and rebuilds this
// object when the file changes.
#include <string_view>

#include "rsf/guard/guard.h"

#ifndef RSF_GUARD_BUILTIN_MODEL
#error "RSF_GUARD_BUILTIN_MODEL must name the default model file"
#endif

__asm__(
    ".section .rodata.rsf_guard_model,\"a\",@progbits\n"
    ".balign 64\n"
    ".globl rsf_guard_builtin_model_begin\n"
    ".hidden rsf_guard_builtin_model_begin\n"
    ".globl rsf_guard_builtin_model_end\n"
    ".hidden rsf_guard_builtin_model_end\n"
    "rsf_guard_builtin_model_begin:\n"
    ".incbin \"" RSF_GUARD_BUILTIN_MODEL "\"\n"
    "rsf_guard_builtin_model_end:\n"
    ".previous\n");

extern "C" __attribute__((visibility("hidden"))) const char rsf_guard_builtin_model_begin[];
extern "C" __attribute__((visibility("hidden"))) const char rsf_guard_builtin_model_end[];

namespace rsf::guard {

std::string_view BuiltinModelBytes() {
  return {rsf_guard_builtin_model_begin,
          static_cast<size_t>(rsf_guard_builtin_model_end - rsf_guard_builtin_model_begin)};
}

}  // namespace rsf::guard

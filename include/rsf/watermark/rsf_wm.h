/* include/rsf/watermark/rsf_wm.h
 *
 * rsf's text watermark as a C ABI, for inference engines that are not rsf (a vLLM or
 * llama.cpp sampler, a detection service in another language). Link librsf_wm.so. It embeds
 * and detects with exactly the parameters and hashes of docs/formats/watermark.md, so text
 * watermarked through this ABI is detected by `rsf watermark detect` and the reverse.
 *
 * Everything works on token ids: tokenize with the engine's own tokenizer. Only generated
 * tokens may be passed to rsf_wm_detect, never the prompt.
 *
 * Errors: functions returning int return 0 on success and a negative RSF_WM_E* code
 * otherwise; rsf_wm_new returns NULL and writes a message into `err`.
 *
 * Thread safety: an rsf_wm is immutable after rsf_wm_new; every function may be called on it
 * from many threads at once. rsf_wm_free must not race with other calls on the same handle.
 */
#ifndef RSF_WATERMARK_RSF_WM_H_
#define RSF_WATERMARK_RSF_WM_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RSF_WM_ABI_VERSION 1

#if defined(RSF_WM_BUILDING)
#define RSF_WM_API __attribute__((visibility("default")))
#else
#define RSF_WM_API
#endif

enum { RSF_WM_KGW = 0, RSF_WM_GUMBEL = 1 };
enum { RSF_WM_WATERMARKED = 0, RSF_WM_NOT_WATERMARKED = 1, RSF_WM_INSUFFICIENT_TOKENS = 2 };
enum { RSF_WM_EINVAL = -1, RSF_WM_ENOCHOICE = -2 };

typedef struct rsf_wm_params {
  int32_t scheme;        /* RSF_WM_KGW or RSF_WM_GUMBEL */
  double gamma;          /* kgw: green fraction in (0, 1) */
  double delta;          /* kgw: logit bias in (0, 50] */
  int32_t context_width; /* preceding tokens seeding each position, 0..8 */
} rsf_wm_params;

typedef struct rsf_wm_result {
  int32_t verdict;   /* RSF_WM_WATERMARKED, RSF_WM_NOT_WATERMARKED, RSF_WM_INSUFFICIENT_TOKENS */
  int64_t tokens;    /* given */
  int64_t scored;    /* scored, after the first context_width and repeated (context, token) pairs */
  int64_t repeats;   /* pairs skipped as repeats */
  double score;      /* kgw: green tokens; gumbel: sum of -ln(1 - r) */
  double z;
  double p_value;    /* may underflow to 0 */
  double log10_p;
} rsf_wm_result;

typedef struct rsf_wm rsf_wm;

RSF_WM_API int rsf_wm_abi_version(void);

/* A watermarker for a 32-byte secret, a key id (1..64 of [A-Za-z0-9._-]) and parameters.
 * NULL on bad arguments, with a message in err[0..errlen) when err is not NULL. */
RSF_WM_API rsf_wm* rsf_wm_new(const uint8_t secret[32], const char* key_id, const rsf_wm_params* params, char* err,
                   size_t errlen);
RSF_WM_API void rsf_wm_free(rsf_wm* wm);

/* kgw: adds delta to the green entries of logits[0..n_vocab) for the next position after
 * context[0..n_context). gumbel: leaves them. */
RSF_WM_API int rsf_wm_adjust_logits(const rsf_wm* wm, const int32_t* context, size_t n_context, float* logits, size_t n_vocab);

/* gumbel: picks the next token among candidates[0..n) with probabilities probs[0..n) (after
 * temperature and top-p, summing to 1) into *chosen. RSF_WM_ENOCHOICE for kgw or when the
 * context is shorter than context_width: then sample as usual. */
RSF_WM_API int rsf_wm_choose(const rsf_wm* wm, const int32_t* context, size_t n_context, const int32_t* candidates,
                  const double* probs, size_t n, int32_t* chosen);

/* Detection at false-positive rate alpha, needing at least min_tokens scored tokens. */
RSF_WM_API int rsf_wm_detect(const rsf_wm* wm, const int32_t* tokens, size_t n, double alpha, int64_t min_tokens,
                  rsf_wm_result* out);

#ifdef __cplusplus
}
#endif

#endif /* RSF_WATERMARK_RSF_WM_H_ */

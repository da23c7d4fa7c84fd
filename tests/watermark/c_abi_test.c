/* The C ABI from C: build, embed, detect, and errors. Registered as a CTest test. */
#include <stdio.h>
#include <string.h>

#include "rsf/watermark/rsf_wm.h"

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                  \
    }                                                            \
  } while (0)

int main(void) {
  uint8_t secret[32];
  memset(secret, 9, sizeof secret);
  char err[200];
  rsf_wm_params bad = {RSF_WM_KGW, 1.5, 2.0, 1};
  CHECK(rsf_wm_abi_version() == RSF_WM_ABI_VERSION);
  CHECK(rsf_wm_new(secret, "k", &bad, err, sizeof err) == NULL);
  CHECK(strstr(err, "gamma") != NULL);
  CHECK(rsf_wm_new(secret, "bad id", &bad, NULL, 0) == NULL);

  rsf_wm_params p = {RSF_WM_KGW, 0.25, 2.0, 1};
  rsf_wm* wm = rsf_wm_new(secret, "c-key", &p, err, sizeof err);
  CHECK(wm != NULL);
  /* Greedy choice over biased flat logits: every token is green, so detection fires. */
  enum { V = 64, N = 120 };
  int32_t toks[N + 1];
  toks[0] = 3;
  for (int i = 1; i <= N; ++i) {
    float logits[V];
    for (int v = 0; v < V; ++v) logits[v] = (float)((v * 7919 + i * 104729) % 97) / 97.0f;
    CHECK(rsf_wm_adjust_logits(wm, toks, (size_t)i, logits, V) == 0);
    int best = 0;
    for (int v = 1; v < V; ++v) if (logits[v] > logits[best]) best = v;
    toks[i] = best;
  }
  rsf_wm_result r;
  CHECK(rsf_wm_detect(wm, toks + 1, N, 1e-5, 16, &r) == 0);
  CHECK(r.verdict == RSF_WM_WATERMARKED);
  CHECK(r.tokens == N);
  CHECK(r.log10_p < -5);
  CHECK(rsf_wm_detect(wm, toks + 1, 5, 1e-5, 16, &r) == 0);
  CHECK(r.verdict == RSF_WM_INSUFFICIENT_TOKENS);
  CHECK(rsf_wm_detect(wm, toks, N, 2.0, 16, &r) == RSF_WM_EINVAL);
  int32_t cand[2] = {1, 2};
  double probs[2] = {0.5, 0.5};
  int32_t chosen = -1;
  CHECK(rsf_wm_choose(wm, toks, 1, cand, probs, 2, &chosen) == RSF_WM_ENOCHOICE); /* kgw does not choose */
  rsf_wm_free(wm);

  rsf_wm_params g = {RSF_WM_GUMBEL, 0, 0, 1};
  rsf_wm* gw = rsf_wm_new(secret, "g-key", &g, err, sizeof err);
  CHECK(gw != NULL);
  CHECK(rsf_wm_choose(gw, toks, 1, cand, probs, 2, &chosen) == 0);
  CHECK(chosen == 1 || chosen == 2);
  rsf_wm_free(gw);
  printf("rsf_wm C ABI: ok\n");
  return 0;
}

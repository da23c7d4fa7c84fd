// include/rsf/guard/features.h
//
// Hashed n-gram features of a normalised text, for the linear guard model: word unigrams and
// bigrams and character n-grams (3- and 4-grams by default; over the text with word
// boundaries marked), each hashed into 2^bits buckets with a sign bit (the hashing trick). A bucket's value is its
// signed count divided by the square root of the number of n-grams (the L2 norm when no
// n-gram repeats), so a model can score a text in one pass over its n-grams without building
// the vector (LinearModel::ScoreText) and get the same score. Deterministic across machines
// (a fixed 64-bit hash, no std::hash). The defaults (2^16 buckets, 3- and 4-grams) were chosen
// on a slice held out of the training data: within 0.003 AUPRC of 2^18 buckets and 3- to
// 5-grams, a quarter of the weights and a third fewer n-grams to score.
//
// Thread safety: pure function.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace rsf::guard {

struct FeatureOptions {
  int bits = 16;                   // 2^bits buckets
  int char_min = 3, char_max = 4;  // at most 7
  bool word_bigrams = true;
};

// Sparse vector: (bucket, value), buckets unique, in first-seen order (deterministic).
using SparseVector = std::vector<std::pair<uint32_t, float>>;

SparseVector ExtractFeatures(std::string_view normalized, const FeatureOptions& options = {});

// The 64-bit hash the features use (FNV-1a followed by a 64-bit finaliser).
uint64_t FeatureHash(std::string_view s, uint64_t seed);

}  // namespace rsf::guard

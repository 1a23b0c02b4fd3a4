// ingot's own quantized model file: a GGUF v3 file (architecture llama or gpt2) whose matrices
// are int8 in the kernels' packed layout with dyadic per-output-channel scales, written by
// `quantize` and mapped at load with no copy.
//
// Per matrix W [n, k] of the architecture (arch/architecture.h: token_embd, position_embd
// (gpt2), each layer's attn_q/k/v/output (gpt2's fused attn_qkv as its three parts),
// ffn_gate (llama)/up/down, output unless tied), in the table's order:
//   <name>           I8  dims {k_pad, n_pad}  Int8Matrix::packed.data ("block16x4" layout)
//   <name>.row_sums  I32 dims {n_pad}         Int8Matrix::packed.row_sums
//   <name>.scale     I32 dims {2, n}          Int8Matrix::scale as (m, e) pairs: m * 2^-e
// A matrix quantized to weight codes in groups (kernels/packed_codes.h) is instead, with the
// key ingot.codes.<name> = u32[2] {bits, group}:
//   <name>               I8  dims {k_pad * bits / 8, n_pad}  PackedCodes::data
//   <name>.group_scales  I8  dims {groups, n_pad}           PackedCodes::scales (u8)
//   <name>.group_zeros   I8  dims {groups, n_pad}           PackedCodes::zeros (u8), asymmetric only
//   <name>.scale         I32 dims {2, n}                    the row scales, as above
// (k_pad: k rounded up to the group; groups = k_pad / group.) A file with code matrices has
// format version 2, one without them version 1.
// Norm weights and biases stay F32 under their usual names (blk.N.attn_q.bias, ...). Keys:
// the <arch>.* config keys llama.cpp writes plus <arch>.vocab_size, the
// tokenizer as tokenizer.ggml.*, general.alignment = 64 (kernels::kPackAlignment), and
//   ingot.format_version  u32   1
//   ingot.weight_layout   str   "block16x4"
//   ingot.quantization    str   what the weights are
//   ingot.source          str   the input file's name
//   ingot.tokenizer.sentencepiece_model  u8[]  llama2.c inputs only: the tokenizer.model bytes
//   ingot.tensor_xxh3     u64[] XXH3-64 of each tensor's bytes, in tensor order
//   ingot.metadata_xxh3   u64   XXH3-64 of the canonical header (IngotMetadataHash)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/quant/int8_model.h"
#include "model_io/gguf.h"
#include "model_io/tokenizer.h"

namespace ingot {

inline constexpr char kIngotFormatVersionKey[] = "ingot.format_version";
inline constexpr char kIngotTensorHashKey[] = "ingot.tensor_xxh3";
inline constexpr char kIngotMetadataHashKey[] = "ingot.metadata_xxh3";
inline constexpr char kIngotSpmModelKey[] = "ingot.tokenizer.sentencepiece_model";
inline constexpr char kIngotWeightLayoutKey[] = "ingot.weight_layout";
inline constexpr uint32_t kFormatVersion = 1;        // only per-channel int8 matrices
inline constexpr uint32_t kFormatVersionCodes = 2;   // with code matrices
inline constexpr char kIngotCodesKeyPrefix[] = "ingot.codes.";
inline constexpr char kWeightLayout[] = "block16x4";
// The two tensors that go with each int8 matrix <name>.
inline constexpr char kRowSumsSuffix[] = ".row_sums";
inline constexpr char kScaleSuffix[] = ".scale";
inline constexpr char kGroupScalesSuffix[] = ".group_scales";
inline constexpr char kGroupZerosSuffix[] = ".group_zeros";

// True when the file carries ingot.format_version (an int8 file written by quantize).
bool IsIngotGguf(const GgufFile& gguf);

// XXH3-64 of the header in a canonical form: every key/value except ingot.metadata_xxh3, in
// file order, encoded as GGUF encodes it (u64 key length, key bytes, u32 value type, value),
// then every tensor's name (u64 length + bytes), u32 n_dims, u64 dims and u32 type. Tensor
// offsets are left out (a wrong offset shows as a tensor hash mismatch); the tensor hashes are
// in, so a corrupted hash list is reported as corrupted metadata, not as a bad tensor.
uint64_t IngotMetadataHash(const std::vector<GgufKeyValue>& metadata, const std::vector<GgufTensorInfo>& tensors);

struct IngotHashCheck {
  std::string name;  // "metadata" or the tensor's name
  uint64_t actual = 0;
  uint64_t expected = 0;
  bool ok() const { return actual == expected; }
};

// Hashes the metadata and every tensor of an ingot GGUF (tensors split over n_threads, 0: all
// cores; read through the mapping once, no copy). Error when the hash keys are missing or
// malformed. The first check is the metadata's, then one per tensor in file order.
std::vector<IngotHashCheck> CheckIngotHashes(const GgufFile& gguf, int32_t n_threads);

struct TensorBytes {
  const void* data;
  uint64_t size;
};
// XXH3-64 of tensor(i) for i in [0, n), split over n_threads (0: all cores), calling after(i)
// (when set) once tensor i is hashed.
std::vector<uint64_t> HashTensors(int64_t n, int32_t n_threads, const std::function<TensorBytes(int64_t)>& tensor,
                                  const std::function<void(int64_t)>& after = {});

// Checks ingot.format_version, then every hash: Error
// "<path>: tensor '<name>' is corrupted (XXH3-64 0x... expected 0x...)" (or "metadata is
// corrupted ...") on the first mismatch. Call it before trusting any key of the file.
void VerifyIngotGguf(const GgufFile& gguf, int32_t n_threads);

// Builds Int8Weights from the file: the packed matrices copied into huge-page memory, row sums
// and scales read in place, norms from the F32 norm weights, constants from config. The file
// must have passed VerifyIngotGguf. Errors name the tensor for a missing tensor, a wrong type or
// shape, or a scale that is not normalized. The float norm weights and biases also go to
// float_vectors (its matrices stay empty), for the FP escape hatch (--fp-modules norm). Every
// tensor read is marked in used [gguf.tensors().size()].
std::unique_ptr<Int8Weights> LoadIngotWeights(const GgufFile& gguf, const ModelConfig& config, FloatWeights& float_vectors,
                                              std::vector<bool>& used);

// The file's tokenizer: the sentencepiece model bytes when present (exact for any
// sentencepiece normalizer), else the tokenizer.ggml.* keys.
std::unique_ptr<Tokenizer> LoadIngotTokenizer(const GgufFile& gguf);

struct QuantizeProgress {
  int32_t index = 0;  // 1-based
  int32_t total = 0;
  std::string name;   // "blk.1.ffn_up.weight"
  int64_t rows = 0;
  int64_t cols = 0;
  bool writing = false;  // the last call: every matrix is quantized, the file is being written
};

struct QuantizeSummary {
  int32_t n_matrices = 0;
  int32_t n_tensors = 0;     // in the written file
  uint64_t bytes_out = 0;    // the written file
  uint64_t matrix_bytes = 0;   // of the quantized matrices (Int8Matrix::bytes)
  uint64_t matrix_weights = 0; // their weights (rows x columns)
};

// Quantizes every matrix of a float model (loaded without prepare_int8) in the form `formats`
// gives it, exactly as --mode int8 (with the same --bits) does in memory (code matrices with
// GPTQ when moments, from calibration, are given), and writes the ingot
// GGUF to out_path (via a temporary file). progress is called before each matrix and before
// writing. The quantized weights are held in memory until the file is written (the hashes go
// into the header, before the data).
class Model;
class InputMoments;
QuantizeSummary WriteIngotGguf(const Model& model, const std::string& out_path, const WeightFormats& formats,
                               const InputMoments* moments, int32_t n_threads,
                               const std::function<void(const QuantizeProgress&)>& progress);

}  // namespace ingot

// A tiny protobuf wire-format writer, and the sentencepiece ModelProto built with it from an
// SPM vocabulary (the tokenizer.ggml.* keys of a GGUF file).
//
// Debian's libsentencepiece-dev ships neither sentencepiece_model.pb.h nor the protobuf
// headers, so the ModelProto cannot be filled through generated classes. Its wire format is
// simple and stable, though: we write the bytes ourselves and hand them to
// SentencePieceProcessor::LoadFromSerializedProto.
//
// Wire format: https://protobuf.dev/programming-guides/encoding/
// Field numbers: sentencepiece's src/sentencepiece_model.proto (public, proto2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model_io/tokenizer.h"

namespace ingot {

// Appends fields of one message. A nested message is written by serializing it with its own
// ProtoWriter and passing its bytes to WriteBytesField (length-delimited, like a string).
class ProtoWriter {
 public:
  void WriteVarintField(uint32_t field, uint64_t value);
  // proto2 int32: a negative value is sign-extended to 64 bits, so it always takes 10 bytes.
  void WriteInt32Field(uint32_t field, int32_t value);
  void WriteBoolField(uint32_t field, bool value);
  // float: wire type 5 (fixed32), IEEE-754 bits little-endian.
  void WriteFloatField(uint32_t field, float value);
  // string, bytes and nested messages: wire type 2 (length-delimited).
  void WriteBytesField(uint32_t field, std::string_view bytes);

  const std::string& bytes() const { return bytes_; }
  std::string Take() { return std::move(bytes_); }

 private:
  void WriteTag(uint32_t field, uint32_t wire_type);
  void WriteVarint(uint64_t value);

  std::string bytes_;
};

// sentencepiece's ModelProto.SentencePiece.Type values.
enum class SpmPieceType : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Serialized ModelProto for a BPE model with the normalizer llama.cpp's SPM tokenizer
// reproduces (identity, dummy prefix per vocab.add_space_prefix, whitespace kept as is,
// ' ' escaped to U+2581). The vocabulary must already be validated: scores and types either
// empty (0.0 / normal) or as long as tokens, types in llama.cpp's numbering 0..6 (0, undefined,
// is taken as normal). byte_fallback is set when any token has the byte type.
std::string SerializeSpmModelProto(const SpmVocab& vocab);

}  // namespace ingot

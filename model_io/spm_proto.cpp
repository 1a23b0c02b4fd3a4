#include "model_io/spm_proto.h"

#include <bit>

#include "model_io/error.h"

namespace ingot {

namespace {

constexpr uint32_t kWireVarint = 0;
constexpr uint32_t kWireLengthDelimited = 2;
constexpr uint32_t kWireFixed32 = 5;

// Field numbers of sentencepiece_model.proto's messages.
namespace model_proto {
enum : uint32_t { kPieces = 1, kTrainerSpec = 2, kNormalizerSpec = 3 };
}  // namespace model_proto

namespace piece_proto {
enum : uint32_t { kPiece = 1, kScore = 2, kType = 3 };
}  // namespace piece_proto

namespace trainer_spec {
enum : uint32_t {
  kModelType = 3, kVocabSize = 4, kTreatWhitespaceAsSuffix = 24, kSplitDigits = 25, kAllowWhitespaceOnlyPieces = 26,
  kByteFallback = 35, kUnkId = 40, kBosId = 41, kEosId = 42, kPadId = 43, kUnkSurface = 44, kUnkPiece = 45,
  kBosPiece = 46, kEosPiece = 47, kPadPiece = 48,
};
constexpr int32_t kModelTypeBpe = 2;  // ModelType BPE
}  // namespace trainer_spec

namespace normalizer_spec {
enum : uint32_t {
  kName = 1, kPrecompiledCharsmap = 2, kAddDummyPrefix = 3, kRemoveExtraWhitespaces = 4, kEscapeWhitespaces = 5,
};
}  // namespace normalizer_spec

// llama.cpp's token types (llama_token_type) to sentencepiece's piece types.
SpmPieceType PieceTypeFromLlama(int32_t llama_type) {
  switch (llama_type) {
    case 2:
      return SpmPieceType::kUnknown;
    case 3:
      return SpmPieceType::kControl;
    case 4:
      return SpmPieceType::kUserDefined;
    case 5:
      return SpmPieceType::kUnused;
    case 6:
      return SpmPieceType::kByte;
    default:
      return SpmPieceType::kNormal;  // 1 normal, 0 undefined
  }
}

std::string PieceOrEmpty(const SpmVocab& vocab, int32_t id) {
  if (id < 0 || static_cast<size_t>(id) >= vocab.tokens.size()) return {};
  return vocab.tokens[static_cast<size_t>(id)];
}

}  // namespace

void ProtoWriter::WriteTag(uint32_t field, uint32_t wire_type) {
  WriteVarint((static_cast<uint64_t>(field) << 3) | wire_type);
}

void ProtoWriter::WriteVarint(uint64_t value) {
  while (value >= 0x80) {
    bytes_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  bytes_.push_back(static_cast<char>(value));
}

void ProtoWriter::WriteVarintField(uint32_t field, uint64_t value) {
  WriteTag(field, kWireVarint);
  WriteVarint(value);
}

void ProtoWriter::WriteInt32Field(uint32_t field, int32_t value) {
  // Sign extension to 64 bits, then the two's-complement bit pattern: what protoc emits.
  WriteVarintField(field, static_cast<uint64_t>(static_cast<int64_t>(value)));
}

void ProtoWriter::WriteBoolField(uint32_t field, bool value) { WriteVarintField(field, value ? 1 : 0); }

void ProtoWriter::WriteFloatField(uint32_t field, float value) {
  WriteTag(field, kWireFixed32);
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  for (int shift = 0; shift < 32; shift += 8) bytes_.push_back(static_cast<char>((bits >> shift) & 0xff));
}

void ProtoWriter::WriteBytesField(uint32_t field, std::string_view bytes) {
  WriteTag(field, kWireLengthDelimited);
  WriteVarint(bytes.size());
  bytes_.append(bytes);
}

std::string SerializeSpmModelProto(const SpmVocab& vocab) {
  const size_t n_vocab = vocab.tokens.size();
  if ((!vocab.scores.empty() && vocab.scores.size() != n_vocab) || (!vocab.types.empty() && vocab.types.size() != n_vocab)) {
    throw Error("SerializeSpmModelProto: " + std::to_string(n_vocab) + " tokens but " + std::to_string(vocab.scores.size()) +
                " scores and " + std::to_string(vocab.types.size()) + " types");
  }

  ProtoWriter model;
  bool has_byte_pieces = false;
  for (size_t i = 0; i < n_vocab; ++i) {
    const SpmPieceType type =
        vocab.types.empty() ? SpmPieceType::kNormal : PieceTypeFromLlama(vocab.types[i]);
    has_byte_pieces |= type == SpmPieceType::kByte;
    ProtoWriter piece;
    piece.WriteBytesField(piece_proto::kPiece, vocab.tokens[i]);
    piece.WriteFloatField(piece_proto::kScore, vocab.scores.empty() ? 0.0f : vocab.scores[i]);
    piece.WriteInt32Field(piece_proto::kType, static_cast<int32_t>(type));
    model.WriteBytesField(model_proto::kPieces, piece.bytes());
  }

  // Only model_type, byte_fallback, treat_whitespace_as_suffix and unk_surface change how a
  // loaded model encodes or decodes; the rest mirrors the Llama 2 tokenizer.model so the
  // proto reads like a real one (the special pieces also make bos_id() etc. resolve).
  ProtoWriter trainer;
  trainer.WriteInt32Field(trainer_spec::kModelType, trainer_spec::kModelTypeBpe);
  trainer.WriteInt32Field(trainer_spec::kVocabSize, static_cast<int32_t>(n_vocab));
  trainer.WriteBoolField(trainer_spec::kTreatWhitespaceAsSuffix, false);
  trainer.WriteBoolField(trainer_spec::kSplitDigits, true);
  trainer.WriteBoolField(trainer_spec::kAllowWhitespaceOnlyPieces, true);
  trainer.WriteBoolField(trainer_spec::kByteFallback, has_byte_pieces);
  trainer.WriteInt32Field(trainer_spec::kUnkId, vocab.unk_id);
  trainer.WriteInt32Field(trainer_spec::kBosId, vocab.bos_id);
  trainer.WriteInt32Field(trainer_spec::kEosId, vocab.eos_id);
  trainer.WriteInt32Field(trainer_spec::kPadId, vocab.pad_id);
  trainer.WriteBytesField(trainer_spec::kUnkSurface, " \xE2\x81\x87 ");  // " ⁇ ", sentencepiece's default
  // An absent id (-1) keeps the proto default piece name ("<s>", ...).
  const auto write_piece_name = [&](uint32_t field, int32_t id) {
    if (const std::string piece = PieceOrEmpty(vocab, id); !piece.empty())
      trainer.WriteBytesField(field, piece);
  };
  write_piece_name(trainer_spec::kUnkPiece, vocab.unk_id);
  write_piece_name(trainer_spec::kBosPiece, vocab.bos_id);
  write_piece_name(trainer_spec::kEosPiece, vocab.eos_id);
  write_piece_name(trainer_spec::kPadPiece, vocab.pad_id);
  model.WriteBytesField(model_proto::kTrainerSpec, trainer.bytes());

  // llama.cpp's SPM tokenizer: no Unicode normalization, a ' ' prepended to the text, every
  // ' ' replaced by U+2581 and runs of spaces kept. This is exactly the normalizer spec of
  // the Llama 2 tokenizer.model.
  ProtoWriter normalizer;
  normalizer.WriteBytesField(normalizer_spec::kName, "identity");
  normalizer.WriteBytesField(normalizer_spec::kPrecompiledCharsmap, "");
  normalizer.WriteBoolField(normalizer_spec::kAddDummyPrefix, vocab.add_space_prefix);
  normalizer.WriteBoolField(normalizer_spec::kRemoveExtraWhitespaces, false);
  normalizer.WriteBoolField(normalizer_spec::kEscapeWhitespaces, true);
  model.WriteBytesField(model_proto::kNormalizerSpec, normalizer.bytes());

  return model.Take();
}

}  // namespace ingot

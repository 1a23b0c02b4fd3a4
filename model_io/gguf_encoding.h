// GGUF's byte encoding of strings, scalars and key/values (little-endian, as in memory), written
// once for every sink that needs it: the writer's file (gguf_writer.cpp) and the ingot GGUF's
// metadata hash (engine/quant/ingot_gguf_verify.cpp). A Sink has `void Bytes(const void*, uint64_t)`.
#pragma once

#include <cstdint>
#include <string>

#include "model_io/gguf.h"

namespace ingot::gguf_encoding {

template <typename T, typename Sink>
void Scalar(Sink& out, T v) {
  out.Bytes(&v, sizeof(v));
}

// u64 length, then the bytes (no terminator).
template <typename Sink>
void String(Sink& out, const std::string& s) {
  Scalar<uint64_t>(out, s.size());
  out.Bytes(s.data(), s.size());
}

// An integer or bool value in its type's width (u64 values keep their bits in int64).
template <typename Sink>
void Integer(Sink& out, GgufValueType type, int64_t v) {
  switch (type) {
    case GgufValueType::kU8: case GgufValueType::kBool: Scalar(out, static_cast<uint8_t>(v)); break;
    case GgufValueType::kI8: Scalar(out, static_cast<int8_t>(v)); break;
    case GgufValueType::kU16: Scalar(out, static_cast<uint16_t>(v)); break;
    case GgufValueType::kI16: Scalar(out, static_cast<int16_t>(v)); break;
    case GgufValueType::kU32: Scalar(out, static_cast<uint32_t>(v)); break;
    case GgufValueType::kI32: Scalar(out, static_cast<int32_t>(v)); break;
    case GgufValueType::kU64: Scalar(out, static_cast<uint64_t>(v)); break;
    default: Scalar(out, v); break;  // i64
  }
}

template <typename Sink>
void Float(Sink& out, GgufValueType type, double v) {
  if (type == GgufValueType::kF32) {
    Scalar(out, static_cast<float>(v));
  } else {
    Scalar(out, v);
  }
}

// An array value after its type id: u32 element type, u64 count, the elements.
template <typename Sink>
void ArrayBody(Sink& out, const GgufValue& value) {
  Scalar(out, static_cast<uint32_t>(value.elem_type));
  Scalar<uint64_t>(out, value.ArraySize());
  switch (value.elem_type) {
    case GgufValueType::kString:
      for (const std::string& s : value.strings) String(out, s);
      break;
    case GgufValueType::kArray:
      for (const GgufValue& sub : value.arrays) ArrayBody(out, sub);
      break;
    case GgufValueType::kF32: case GgufValueType::kF64:
      for (const double v : value.floats) Float(out, value.elem_type, v);
      break;
    default:
      for (const int64_t v : value.ints) Integer(out, value.elem_type, v);
      break;
  }
}

// A key/value pair: the key, u32 value type, the value.
template <typename Sink>
void KeyValue(Sink& out, const std::string& key, const GgufValue& value) {
  String(out, key);
  Scalar(out, static_cast<uint32_t>(value.type));
  if (value.type == GgufValueType::kArray) {
    ArrayBody(out, value);
  } else if (value.type == GgufValueType::kString) {
    String(out, value.string_value);
  } else if (IsFloatValueType(value.type)) {
    Float(out, value.type, value.float_value);
  } else {
    Integer(out, value.type, value.int_value);
  }
}

}  // namespace ingot::gguf_encoding

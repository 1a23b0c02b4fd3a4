// ggml type traits, float conversions, row dequantization and GgufValue helpers.
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "model_io/error.h"
#include "model_io/gguf.h"

namespace ingot {

static_assert(std::endian::native == std::endian::little,
              "GGUF is little-endian and ingot reads it in place: big-endian hosts are unsupported");

namespace {

// Indexed by ggml type id. Block sizes and bytes per block as ggml's block_* structs define
// them (ggml-common.h). Ids 4, 5 (Q4_2, Q4_3) and 31..33, 36..38 (repacked layouts) were
// removed from ggml and never appear in GGUF files. 34, 35 (TQ1_0, TQ2_0) and 39 (MXFP4) are
// newer than our enum but listed so that such files can still be inspected.
constexpr GgmlTypeTraits kTypeTraits[] = {
    {"F32", 1, 4},        // 0
    {"F16", 1, 2},        // 1
    {"Q4_0", 32, 18},     // 2: f16 d + 16 bytes of nibbles
    {"Q4_1", 32, 20},     // 3: f16 d, m + 16
    {nullptr, 0, 0},      // 4: Q4_2, removed
    {nullptr, 0, 0},      // 5: Q4_3, removed
    {"Q5_0", 32, 22},     // 6: f16 d + 4 high bits + 16
    {"Q5_1", 32, 24},     // 7
    {"Q8_0", 32, 34},     // 8: f16 d + int8 qs[32]
    {"Q8_1", 32, 36},     // 9: f16 d, s + int8 qs[32]
    {"Q2_K", 256, 84},    // 10
    {"Q3_K", 256, 110},   // 11
    {"Q4_K", 256, 144},   // 12
    {"Q5_K", 256, 176},   // 13
    {"Q6_K", 256, 210},   // 14
    {"Q8_K", 256, 292},   // 15: f32 d + int8 qs[256] + int16 bsums[16]
    {"IQ2_XXS", 256, 66}, // 16
    {"IQ2_XS", 256, 74},  // 17
    {"IQ3_XXS", 256, 98}, // 18
    {"IQ1_S", 256, 50},   // 19
    {"IQ4_NL", 32, 18},   // 20
    {"IQ3_S", 256, 110},  // 21
    {"IQ2_S", 256, 82},   // 22
    {"IQ4_XS", 256, 136}, // 23
    {"I8", 1, 1},         // 24
    {"I16", 1, 2},        // 25
    {"I32", 1, 4},        // 26
    {"I64", 1, 8},        // 27
    {"F64", 1, 8},        // 28
    {"IQ1_M", 256, 56},   // 29
    {"BF16", 1, 2},       // 30
    {nullptr, 0, 0},      // 31: Q4_0_4_4, removed from GGUF
    {nullptr, 0, 0},      // 32: Q4_0_4_8, removed
    {nullptr, 0, 0},      // 33: Q4_0_8_8, removed
    {"TQ1_0", 256, 54},   // 34
    {"TQ2_0", 256, 66},   // 35
    {nullptr, 0, 0},      // 36: IQ4_NL_4_4, removed
    {nullptr, 0, 0},      // 37: IQ4_NL_4_8, removed
    {nullptr, 0, 0},      // 38: IQ4_NL_8_8, removed
    {"MXFP4", 32, 17},    // 39: e8m0 scale + 16 bytes of nibbles
};
constexpr uint32_t kTypeCount = sizeof(kTypeTraits) / sizeof(kTypeTraits[0]);

constexpr const char* kValueTypeNames[] = {"u8",  "i8",     "u16",   "i16", "u32",
                                           "i32", "f32",    "bool",  "string",
                                           "array", "u64",  "i64",   "f64"};

const GgmlTypeTraits& TraitsOrThrow(GgmlType type) {
  const GgmlTypeTraits* traits = GetTypeTraits(static_cast<uint32_t>(type));
  if (traits == nullptr) {
    throw Error("unknown ggml type id " + std::to_string(static_cast<uint32_t>(type)));
  }
  return *traits;
}

// Unaligned little-endian loads: tensor rows in a mapped file or caller buffer carry no
// alignment promise beyond the file's, and FromMemory buffers carry none at all.
uint16_t LoadU16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

void DequantizeQ8_0(const uint8_t* src, float* dst, int64_t n) {
  constexpr int64_t kBlock = 32;
  constexpr int64_t kBlockBytes = 34;
  for (int64_t b = 0; b < n / kBlock; ++b) {
    const uint8_t* block = src + b * kBlockBytes;
    // d has 11 significant bits and qs 8, so d * qs is exact in float.
    const float d = HalfToFloat(LoadU16(block));
    const auto* qs = reinterpret_cast<const int8_t*>(block + 2);
    for (int64_t i = 0; i < kBlock; ++i) dst[b * kBlock + i] = d * static_cast<float>(qs[i]);
  }
}

void AppendEscaped(std::string& out, const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;  // UTF-8 bytes pass through
    }
  }
  out += '"';
}

std::string FloatText(double v, bool single) {
  char buf[64];
  const auto result = single ? std::to_chars(buf, buf + sizeof(buf), static_cast<float>(v))
                             : std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, result.ptr);
}

std::string IntText(GgufValueType type, int64_t v) {
  if (type == GgufValueType::kBool) return v != 0 ? "true" : "false";
  if (type == GgufValueType::kU64) return std::to_string(static_cast<uint64_t>(v));
  return std::to_string(v);
}

bool IsIntegerOrBool(GgufValueType type) {
  switch (type) {
    case GgufValueType::kU8: case GgufValueType::kI8: case GgufValueType::kU16:
    case GgufValueType::kI16: case GgufValueType::kU32: case GgufValueType::kI32:
    case GgufValueType::kU64: case GgufValueType::kI64: case GgufValueType::kBool:
      return true;
    default:
      return false;
  }
}

}  // namespace

const GgmlTypeTraits* GetTypeTraits(uint32_t type) {
  if (type >= kTypeCount || kTypeTraits[type].name == nullptr) return nullptr;
  return &kTypeTraits[type];
}

const char* GgmlTypeName(GgmlType type) {
  const GgmlTypeTraits* traits = GetTypeTraits(static_cast<uint32_t>(type));
  return traits != nullptr ? traits->name : "unknown";
}

bool IsFloatDequantizable(GgmlType type) {
  return type == GgmlType::kF32 || type == GgmlType::kF16 || type == GgmlType::kBF16 ||
         type == GgmlType::kQ8_0;
}

uint64_t RowBytes(GgmlType type, uint64_t n) {
  const GgmlTypeTraits& traits = TraitsOrThrow(type);
  if (n % traits.block_size != 0) {
    throw Error("row of " + std::to_string(n) + " elements is not a multiple of the " +
                traits.name + " block size " + std::to_string(traits.block_size));
  }
  // Callers pass validated tensor shapes; n / block_size * type_size cannot overflow there.
  return n / traits.block_size * traits.type_size;
}

void DequantizeRow(GgmlType type, const void* src, float* dst, int64_t n) {
  const GgmlTypeTraits& traits = TraitsOrThrow(type);
  if (!IsFloatDequantizable(type)) {
    throw Error(std::string("tensor type ") + traits.name +
                " is not supported (supported: F32, F16, BF16, Q8_0)");
  }
  if (n < 0 || n % traits.block_size != 0) {
    throw Error("DequantizeRow: " + std::to_string(n) + " elements is not a multiple of the " +
                traits.name + " block size " + std::to_string(traits.block_size));
  }
  const auto* bytes = static_cast<const uint8_t*>(src);
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      break;
    case GgmlType::kF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = HalfToFloat(LoadU16(bytes + 2 * i));
      break;
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToFloat(LoadU16(bytes + 2 * i));
      break;
    case GgmlType::kQ8_0:
      DequantizeQ8_0(bytes, dst, n);
      break;
    default:
      break;  // unreachable: IsFloatDequantizable checked above
  }
}

int64_t FindNonFinite(GgmlType type, const void* data, int64_t n) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  // A value is NaN or infinite exactly when its exponent bits are all ones.
  auto find16 = [&](uint16_t exponent, int64_t count, int64_t stride) -> int64_t {
    for (int64_t i = 0; i < count; ++i) {
      if ((LoadU16(bytes + i * stride) & exponent) == exponent) return i;
    }
    return -1;
  };
  switch (type) {
    case GgmlType::kF32:
      for (int64_t i = 0; i < n; ++i) {
        uint32_t bits;
        std::memcpy(&bits, bytes + 4 * i, sizeof(bits));
        if ((bits & 0x7f800000u) == 0x7f800000u) return i;
      }
      return -1;
    case GgmlType::kF16: return find16(0x7c00, n, 2);
    case GgmlType::kBF16: return find16(0x7f80, n, 2);
    case GgmlType::kQ8_0: {  // blocks of 32: an f16 scale, then 32 int8 (always finite)
      const int64_t block = find16(0x7c00, n / 32, 34);
      return block < 0 ? -1 : block * 32;
    }
    default:
      throw Error(std::string("FindNonFinite: tensor type ") + TraitsOrThrow(type).name + " is not supported");
  }
}

std::vector<float> DequantizeFiniteVector(const std::string& path, const std::string& name, GgmlType type,
                                          const void* data, int64_t n) {
  std::vector<float> values(static_cast<size_t>(n));
  DequantizeRow(type, data, values.data(), n);
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw Error(path + ": tensor '" + name + "' holds a non-finite value (" + std::to_string(values[i]) + " at element " +
                      std::to_string(i) + ")",
                  ErrorKind::kModelFormat);
    }
  }
  return values;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float (a normal float for mantissa > 0).
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return std::bit_cast<float>(std::bit_cast<uint32_t>(magnitude) | sign);
  }
  if (exponent == 0x1f) {
    // Inf, or NaN with its payload kept in the top mantissa bits.
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  }
  // Rebias the exponent from 15 to 127.
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

uint16_t FloatToHalf(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7fffffffu;

  if (magnitude >= 0x7f800000u) {  // inf or NaN
    if (magnitude == 0x7f800000u) return sign | 0x7c00u;
    // Keep the top payload bits and set the quiet bit so a NaN never becomes inf.
    return static_cast<uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
  }
  // 65520 is halfway between the largest half (65504, odd mantissa) and 2^16: ties to even
  // round it, and everything above, to inf.
  if (magnitude >= 0x477ff000u) return sign | 0x7c00u;

  if (magnitude >= 0x38800000u) {  // >= 2^-14: a normal half
    // Rebias 127 -> 15, then round to nearest even on the 13 dropped mantissa bits. A carry
    // out of the mantissa correctly bumps the exponent.
    uint32_t v = magnitude - 0x38000000u;
    v += 0xfffu + ((v >> 13) & 1u);
    return static_cast<uint16_t>(sign | (v >> 13));
  }

  // Subnormal half (or zero): the result is round(value / 2^-24) = round(m >> shift) with m the
  // 24-bit significand including the implicit bit.
  const uint32_t exponent = magnitude >> 23;
  if (exponent < 102) return sign;  // below 2^-25: rounds to zero (2^-25 itself ties to 0)
  const uint32_t significand = (magnitude & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126 - exponent;  // 14..24
  uint32_t q = significand >> shift;
  const uint32_t remainder = significand & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  if (remainder > half || (remainder == half && (q & 1u) != 0)) ++q;  // may reach 0x400: 2^-14
  return static_cast<uint16_t>(sign | q);
}

float Bf16ToFloat(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

std::string ShapeText(const std::vector<uint64_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) text += (i > 0 ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

bool IsFloatValueType(GgufValueType type) { return type == GgufValueType::kF32 || type == GgufValueType::kF64; }

const char* GgufValueTypeName(GgufValueType type) {
  const auto id = static_cast<uint32_t>(type);
  return id < sizeof(kValueTypeNames) / sizeof(kValueTypeNames[0]) ? kValueTypeNames[id]
                                                                    : "unknown";
}

uint64_t GgufValue::ArraySize() const {
  if (type != GgufValueType::kArray) return 0;
  switch (elem_type) {
    case GgufValueType::kF32: case GgufValueType::kF64: return floats.size();
    case GgufValueType::kString: return strings.size();
    case GgufValueType::kArray: return arrays.size();
    default: return ints.size();
  }
}

std::string GgufValue::ToString(size_t max_items) const {
  switch (type) {
    case GgufValueType::kF32: return FloatText(float_value, true);
    case GgufValueType::kF64: return FloatText(float_value, false);
    case GgufValueType::kString: {
      std::string out;
      AppendEscaped(out, string_value);
      return out;
    }
    case GgufValueType::kArray: break;
    default: return IntText(type, int_value);
  }
  const uint64_t n = ArraySize();
  std::string out = std::string("[") + GgufValueTypeName(elem_type) + " x " + std::to_string(n) + "]";
  for (uint64_t i = 0; i < n && i < max_items; ++i) {
    out += i == 0 ? " " : ", ";
    if (elem_type == GgufValueType::kString) {
      AppendEscaped(out, strings[i]);
    } else if (elem_type == GgufValueType::kArray) {
      out += "(" + arrays[i].ToString(max_items) + ")";
    } else if (elem_type == GgufValueType::kF32 || elem_type == GgufValueType::kF64) {
      out += FloatText(floats[i], elem_type == GgufValueType::kF32);
    } else if (IsIntegerOrBool(elem_type)) {
      out += IntText(elem_type, ints[i]);
    }
  }
  if (n > max_items) out += ", ...";
  return out;
}

namespace {

GgufValue Integer(GgufValueType type, int64_t v) {
  GgufValue value;
  value.type = type;
  value.int_value = v;
  return value;
}

GgufValue ArrayOf(GgufValueType elem_type) {
  GgufValue value;
  value.type = GgufValueType::kArray;
  value.elem_type = elem_type;
  return value;
}

}  // namespace

GgufValue GgufValue::U32(uint32_t v) { return Integer(GgufValueType::kU32, v); }
GgufValue GgufValue::I32(int32_t v) { return Integer(GgufValueType::kI32, v); }
// u64 keeps its bits in int_value (two's complement, C++20).
GgufValue GgufValue::U64(uint64_t v) { return Integer(GgufValueType::kU64, static_cast<int64_t>(v)); }
GgufValue GgufValue::Bool(bool v) { return Integer(GgufValueType::kBool, v ? 1 : 0); }

GgufValue GgufValue::F32(float v) {
  GgufValue value;
  value.type = GgufValueType::kF32;
  value.float_value = v;
  return value;
}

GgufValue GgufValue::String(std::string v) {
  GgufValue value;
  value.type = GgufValueType::kString;
  value.string_value = std::move(v);
  return value;
}

GgufValue GgufValue::StringArray(std::vector<std::string> v) {
  GgufValue value = ArrayOf(GgufValueType::kString);
  value.strings = std::move(v);
  return value;
}

GgufValue GgufValue::F32Array(std::vector<float> v) {
  GgufValue value = ArrayOf(GgufValueType::kF32);
  value.floats.assign(v.begin(), v.end());
  return value;
}

GgufValue GgufValue::I32Array(std::vector<int32_t> v) {
  GgufValue value = ArrayOf(GgufValueType::kI32);
  value.ints.assign(v.begin(), v.end());
  return value;
}

GgufValue GgufValue::U64Array(std::vector<uint64_t> v) {
  GgufValue value = ArrayOf(GgufValueType::kU64);
  value.ints.reserve(v.size());
  for (const uint64_t x : v) value.ints.push_back(static_cast<int64_t>(x));  // keeps the bits
  return value;
}

}  // namespace ingot

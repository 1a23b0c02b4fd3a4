// GGUF reader/writer, ggml type traits, half/bf16 conversion and MappedFile.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "model_io/error.h"
#include "model_io/gguf.h"
#include "model_io/mapped_file.h"
#include "tests/test_util.h"

namespace ingot {
namespace {

using test::Rng;

// ---------------------------------------------------------------------------------------------
// Helpers

// Builds GGUF bytes by hand, for files the writer would refuse to produce.
class Bytes {
 public:
  Bytes& Raw(const std::string& s) {
    data_ += s;
    return *this;
  }
  template <typename T>
  Bytes& Put(T v) {
    data_.append(reinterpret_cast<const char*>(&v), sizeof(v));
    return *this;
  }
  Bytes& U32(uint32_t v) { return Put(v); }
  Bytes& U64(uint64_t v) { return Put(v); }
  Bytes& Str(const std::string& s) {
    U64(s.size());
    return Raw(s);
  }
  Bytes& Header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return Raw("GGUF").U32(version).U64(n_tensors).U64(n_kv);
  }
  Bytes& KeyU32(const std::string& key, uint32_t v) {
    return Str(key).U32(static_cast<uint32_t>(GgufValueType::kU32)).U32(v);
  }
  Bytes& TensorInfo(const std::string& name, std::vector<uint64_t> dims, uint32_t type,
                    uint64_t offset) {
    Str(name).U32(static_cast<uint32_t>(dims.size()));
    for (const uint64_t d : dims) U64(d);
    return U32(type).U64(offset);
  }
  Bytes& PadTo(size_t alignment) {
    while (data_.size() % alignment != 0) data_ += '\0';
    return *this;
  }
  Bytes& Zeros(size_t n) {
    data_.append(n, '\0');
    return *this;
  }
  const std::string& str() const { return data_; }

 private:
  std::string data_;
};

// Parses bytes from an exactly-sized heap copy, so ASan flags any read past the end.
void ParseBytes(const std::string& bytes) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size() + (bytes.empty() ? 1 : 0)]);
  std::memcpy(copy.get(), bytes.data(), bytes.size());
  GgufFile::FromMemory(copy.get(), bytes.size(), "mem.gguf");
}

// The message of the ingot::Error that parsing `bytes` throws ("" when it parses).
std::string ParseError(const std::string& bytes) {
  try {
    ParseBytes(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Checks the one-line "<name>: ... <expected> ..." shape of a parse error.
void CheckParseError(const std::string& bytes, const std::string& expected) {
  const std::string message = ParseError(bytes);
  INFO("message: " << message);
  CHECK(message.rfind("mem.gguf: ", 0) == 0);
  CHECK(message.find(expected) != std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
}

std::string OpenError(const std::string& path) {
  try {
    GgufFile::Open(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

uint64_t FloatBits(double v) { return std::bit_cast<uint64_t>(v); }

void CheckValuesEqual(const GgufValue& a, const GgufValue& b, const std::string& where) {
  INFO("value " << where);
  REQUIRE(a.type == b.type);
  if (a.type == GgufValueType::kString) CHECK(a.string_value == b.string_value);
  if (a.type == GgufValueType::kF32 || a.type == GgufValueType::kF64) {
    CHECK(FloatBits(a.float_value) == FloatBits(b.float_value));
  } else {
    CHECK(a.int_value == b.int_value);
  }
  if (a.type != GgufValueType::kArray) return;
  REQUIRE(a.elem_type == b.elem_type);
  CHECK(a.ArraySize() == b.ArraySize());
  CHECK(a.ints == b.ints);
  CHECK(a.strings == b.strings);
  REQUIRE(a.floats.size() == b.floats.size());
  for (size_t i = 0; i < a.floats.size(); ++i) CHECK(FloatBits(a.floats[i]) == FloatBits(b.floats[i]));
  REQUIRE(a.arrays.size() == b.arrays.size());
  for (size_t i = 0; i < a.arrays.size(); ++i) {
    CheckValuesEqual(a.arrays[i], b.arrays[i], where + "[" + std::to_string(i) + "]");
  }
}

GgufValue Scalar(GgufValueType type, int64_t v) {
  GgufValue value;
  value.type = type;
  value.int_value = v;
  return value;
}

GgufValue F64(double v) {
  GgufValue value;
  value.type = GgufValueType::kF64;
  value.float_value = v;
  return value;
}

GgufValue IntArray(GgufValueType elem, std::vector<int64_t> ints) {
  GgufValue value;
  value.type = GgufValueType::kArray;
  value.elem_type = elem;
  value.ints = std::move(ints);
  return value;
}

GgufValue FloatArray(GgufValueType elem, std::vector<double> floats) {
  GgufValue value;
  value.type = GgufValueType::kArray;
  value.elem_type = elem;
  value.floats = std::move(floats);
  return value;
}

GgufValue ArrayOf(std::vector<GgufValue> arrays) {
  GgufValue value;
  value.type = GgufValueType::kArray;
  value.elem_type = GgufValueType::kArray;
  value.arrays = std::move(arrays);
  return value;
}

// An array nested `levels` deep (1 = a plain array of u8).
GgufValue Nested(int levels) {
  GgufValue value = IntArray(GgufValueType::kU8, {7});
  for (int i = 1; i < levels; ++i) value = ArrayOf({value});
  return value;
}

std::vector<uint8_t> RandomBytes(Rng& rng, size_t n) {
  std::vector<uint8_t> bytes(n);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng.Next());
  return bytes;
}

// Every value type, including the corners: nested and empty arrays, empty strings,
// u64 above INT64_MAX, extreme integers.
std::vector<GgufKeyValue> AllValueKinds() {
  constexpr int64_t kU64Max = -1;  // bits of 2^64 - 1
  return {
      {"general.architecture", GgufValue::String("llama")},
      {"v.u8", Scalar(GgufValueType::kU8, 255)},
      {"v.i8", Scalar(GgufValueType::kI8, -128)},
      {"v.u16", Scalar(GgufValueType::kU16, 65535)},
      {"v.i16", Scalar(GgufValueType::kI16, -32768)},
      {"v.u32", GgufValue::U32(4000000000u)},
      {"v.i32", GgufValue::I32(std::numeric_limits<int32_t>::min())},
      {"v.f32", GgufValue::F32(0.1f)},
      {"v.bool.true", GgufValue::Bool(true)},
      {"v.bool.false", GgufValue::Bool(false)},
      {"v.string", GgufValue::String("h\xc3\xa9llo \"w\"\n")},
      {"v.string.empty", GgufValue::String("")},
      {"v.u64.max", GgufValue::U64(std::numeric_limits<uint64_t>::max())},
      {"v.u64.big", GgufValue::U64(9223372036854775808ull)},
      {"v.i64", Scalar(GgufValueType::kI64, std::numeric_limits<int64_t>::min())},
      {"v.f64", F64(0.1)},
      {"v.f64.nan", F64(std::numeric_limits<double>::quiet_NaN())},
      {"", GgufValue::String("empty key")},
      {"a.u8", IntArray(GgufValueType::kU8, {0, 1, 255})},
      {"a.i8", IntArray(GgufValueType::kI8, {-128, 0, 127})},
      {"a.u16", IntArray(GgufValueType::kU16, {0, 65535})},
      {"a.i16", IntArray(GgufValueType::kI16, {-32768, 32767})},
      {"a.u32", IntArray(GgufValueType::kU32, {0, 4294967295})},
      {"a.i32", GgufValue::I32Array({-5, 0, 7, std::numeric_limits<int32_t>::max()})},
      {"a.f32", GgufValue::F32Array({1.5f, -0.0f, 1e-40f, std::numeric_limits<float>::infinity()})},
      {"a.bool", IntArray(GgufValueType::kBool, {1, 0, 1})},
      {"a.string", GgufValue::StringArray({"<unk>", "", "\xe2\x96\x81the"})},
      {"a.u64", IntArray(GgufValueType::kU64, {kU64Max, 0})},
      {"a.i64", IntArray(GgufValueType::kI64, {std::numeric_limits<int64_t>::min(), 1})},
      {"a.f64", FloatArray(GgufValueType::kF64, {0.1, -1e300})},
      {"a.empty.u32", IntArray(GgufValueType::kU32, {})},
      {"a.empty.string", GgufValue::StringArray({})},
      {"a.empty.array", ArrayOf({})},
      {"a.nested", ArrayOf({GgufValue::I32Array({1, 2}), GgufValue::I32Array({}), GgufValue::I32Array({3})})},
      {"a.nested.strings", ArrayOf({ArrayOf({GgufValue::StringArray({"x", ""})}), ArrayOf({})})},
      {"a.nested.deepest", Nested(8)},
  };
}

struct TestTensor {
  std::string name;
  GgmlType type;
  std::vector<uint64_t> dims;
  std::vector<uint8_t> bytes;
  bool use_generator;
};

std::vector<TestTensor> OddTensors(Rng& rng) {
  std::vector<TestTensor> tensors = {
      {"t.f32", GgmlType::kF32, {7, 3}, {}, false},
      {"t.f16", GgmlType::kF16, {5}, {}, true},
      {"t.bf16", GgmlType::kBF16, {3, 2, 2}, {}, false},
      {"t.q8_0", GgmlType::kQ8_0, {64, 3}, {}, true},
      {"t.i8", GgmlType::kI8, {13, 1, 1, 2}, {}, false},
      {"t.i32", GgmlType::kI32, {9, 2}, {}, true},
  };
  for (TestTensor& t : tensors) {
    uint64_t n = 1;
    for (const uint64_t d : t.dims) n *= d;
    t.bytes = RandomBytes(rng, RowBytes(t.type, n));
  }
  return tensors;
}

void AddTensors(GgufWriter& writer, const std::vector<TestTensor>& tensors) {
  for (const TestTensor& t : tensors) {
    if (t.use_generator) {
      writer.AddTensor(t.name, t.type, t.dims, [&t](uint8_t* dst, uint64_t n_bytes) {
        REQUIRE(n_bytes == t.bytes.size());
        std::memcpy(dst, t.bytes.data(), n_bytes);
      });
    } else {
      writer.AddTensor(t.name, t.type, t.dims, t.bytes.data());
    }
  }
}

// A small valid file with metadata, a nested array and two tensors, for the hostile tests.
std::string SmallValidFile() {
  GgufWriter writer;
  writer.Set("general.architecture", GgufValue::String("llama"));
  writer.Set("llama.block_count", GgufValue::U32(2));
  writer.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"<unk>", "a", ""}));
  writer.Set("tokenizer.ggml.scores", GgufValue::F32Array({0.0f, -1.5f, 2.0f}));
  writer.Set("x.nested", ArrayOf({GgufValue::I32Array({1, 2}), GgufValue::I32Array({})}));
  static const float kWeights[6] = {1, 2, 3, 4, 5, 6};
  writer.AddTensor("w", GgmlType::kF32, {3, 2}, kWeights);
  static const uint8_t kQ8[34] = {0x00, 0x3c, 1, 2, 3, 0xff};
  writer.AddTensor("q", GgmlType::kQ8_0, {32}, kQ8);
  const std::string path = test::ScratchDir() + "/small.gguf";
  writer.Write(path);
  return test::ReadFile(path);
}

// Exercises everything a caller may touch after a successful parse, so that ASan checks
// that validation really bounds every later access.
void TouchEverything(const GgufFile& file) {
  for (const GgufKeyValue& kv : file.metadata()) (void)kv.value.ToString();
  std::vector<float> row;
  for (const GgufTensorInfo& info : file.tensors()) {
    const uint8_t* data = file.TensorData(info);
    REQUIRE(data != nullptr);
    if (!IsFloatDequantizable(info.type)) continue;
    row.resize(static_cast<size_t>(info.dims[0]));
    DequantizeRow(info.type, data, row.data(), static_cast<int64_t>(info.dims[0]));
  }
}

// ---------------------------------------------------------------------------------------------
// Type traits, conversions, dequantization

TEST_CASE("ggml type traits match ggml's block layouts") {
  struct Expected {
    GgmlType type;
    const char* name;
    uint32_t block_size;
    uint32_t type_size;
  };
  const Expected expected[] = {
      {GgmlType::kF32, "F32", 1, 4},          {GgmlType::kF16, "F16", 1, 2},
      {GgmlType::kQ4_0, "Q4_0", 32, 18},      {GgmlType::kQ4_1, "Q4_1", 32, 20},
      {GgmlType::kQ5_0, "Q5_0", 32, 22},      {GgmlType::kQ5_1, "Q5_1", 32, 24},
      {GgmlType::kQ8_0, "Q8_0", 32, 34},      {GgmlType::kQ8_1, "Q8_1", 32, 36},
      {GgmlType::kQ2_K, "Q2_K", 256, 84},     {GgmlType::kQ3_K, "Q3_K", 256, 110},
      {GgmlType::kQ4_K, "Q4_K", 256, 144},    {GgmlType::kQ5_K, "Q5_K", 256, 176},
      {GgmlType::kQ6_K, "Q6_K", 256, 210},    {GgmlType::kQ8_K, "Q8_K", 256, 292},
      {GgmlType::kIQ2_XXS, "IQ2_XXS", 256, 66}, {GgmlType::kIQ2_XS, "IQ2_XS", 256, 74},
      {GgmlType::kIQ3_XXS, "IQ3_XXS", 256, 98}, {GgmlType::kIQ1_S, "IQ1_S", 256, 50},
      {GgmlType::kIQ4_NL, "IQ4_NL", 32, 18},  {GgmlType::kIQ3_S, "IQ3_S", 256, 110},
      {GgmlType::kIQ2_S, "IQ2_S", 256, 82},   {GgmlType::kIQ4_XS, "IQ4_XS", 256, 136},
      {GgmlType::kI8, "I8", 1, 1},            {GgmlType::kI16, "I16", 1, 2},
      {GgmlType::kI32, "I32", 1, 4},          {GgmlType::kI64, "I64", 1, 8},
      {GgmlType::kF64, "F64", 1, 8},          {GgmlType::kIQ1_M, "IQ1_M", 256, 56},
      {GgmlType::kBF16, "BF16", 1, 2},
  };
  for (const Expected& e : expected) {
    INFO("type " << e.name);
    const GgmlTypeTraits* traits = GetTypeTraits(static_cast<uint32_t>(e.type));
    REQUIRE(traits != nullptr);
    CHECK(std::string(traits->name) == e.name);
    CHECK(std::string(GgmlTypeName(e.type)) == e.name);
    CHECK(traits->block_size == e.block_size);
    CHECK(traits->type_size == e.type_size);
  }
  // Newer ggml types outside our enum still have traits, so inspect can list them.
  CHECK(GetTypeTraits(34)->type_size == 54);   // TQ1_0, 256 per block
  CHECK(GetTypeTraits(35)->type_size == 66);   // TQ2_0, 256 per block
  CHECK(GetTypeTraits(39)->block_size == 32);  // MXFP4: e8m0 scale + 16 bytes
  CHECK(GetTypeTraits(39)->type_size == 17);
  CHECK(std::string(GgmlTypeName(static_cast<GgmlType>(39))) == "MXFP4");
  // Removed ids and ids past the end are not types.
  for (const uint32_t id : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 40u, 99u, 0xffffffffu}) {
    CHECK(GetTypeTraits(id) == nullptr);
  }
  CHECK(std::string(GgmlTypeName(static_cast<GgmlType>(99))) == "unknown");

  CHECK(IsFloatDequantizable(GgmlType::kF32));
  CHECK(IsFloatDequantizable(GgmlType::kF16));
  CHECK(IsFloatDequantizable(GgmlType::kBF16));
  CHECK(IsFloatDequantizable(GgmlType::kQ8_0));
  CHECK_FALSE(IsFloatDequantizable(GgmlType::kQ4_K));
  CHECK_FALSE(IsFloatDequantizable(GgmlType::kI8));

  CHECK(RowBytes(GgmlType::kF32, 288) == 1152);
  CHECK(RowBytes(GgmlType::kQ8_0, 64) == 68);
  CHECK(RowBytes(GgmlType::kQ4_K, 512) == 288);
  CHECK_THROWS_WITH_AS(RowBytes(GgmlType::kQ8_0, 33),
                       "row of 33 elements is not a multiple of the Q8_0 block size 32", Error);
}

TEST_CASE("HalfToFloat/FloatToHalf: every half value round-trips") {
  int nan_count = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      ++nan_count;
      // NaN stays NaN with its sign (never becomes inf).
      const uint16_t back = FloatToHalf(f);
      CHECK((back & 0x7c00) == 0x7c00);
      CHECK((back & 0x03ff) != 0);
      CHECK((back & 0x8000) == (h & 0x8000));
      continue;
    }
    if (FloatToHalf(f) != h) {
      FAIL_CHECK("half 0x" << std::hex << h << " -> " << f << " -> 0x" << FloatToHalf(f));
    }
  }
  CHECK(nan_count == 2 * 1023);
}

TEST_CASE("HalfToFloat: known values") {
  CHECK(HalfToFloat(0x3c00) == 1.0f);
  CHECK(HalfToFloat(0xc000) == -2.0f);
  CHECK(HalfToFloat(0x7bff) == 65504.0f);
  CHECK(HalfToFloat(0x0400) == 0x1p-14f);   // smallest normal
  CHECK(HalfToFloat(0x0001) == 0x1p-24f);   // smallest subnormal
  CHECK(HalfToFloat(0x03ff) == 1023 * 0x1p-24f);
  CHECK(std::bit_cast<uint32_t>(HalfToFloat(0x8000)) == 0x80000000u);  // -0
  CHECK(HalfToFloat(0x7c00) == std::numeric_limits<float>::infinity());
  CHECK(HalfToFloat(0xfc00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(HalfToFloat(0x7e00)));
}

TEST_CASE("FloatToHalf: round to nearest even, subnormals, overflow") {
  CHECK(FloatToHalf(1.0f) == 0x3c00);
  CHECK(FloatToHalf(1.0f + 0x1p-11f) == 0x3c00);        // tie, even stays
  CHECK(FloatToHalf(1.0f + 3 * 0x1p-11f) == 0x3c02);    // tie, odd rounds up
  CHECK(FloatToHalf(1.0f + 0x1p-11f + 0x1p-20f) == 0x3c01);  // above the tie
  CHECK(FloatToHalf(2047.0f) == 0x67ff);
  CHECK(FloatToHalf(2049.0f) == 0x6800);                // tie to even: 2048
  CHECK(FloatToHalf(65504.0f) == 0x7bff);
  CHECK(FloatToHalf(65519.99f) == 0x7bff);
  CHECK(FloatToHalf(65520.0f) == 0x7c00);               // tie goes to "even" = inf
  CHECK(FloatToHalf(1e10f) == 0x7c00);
  CHECK(FloatToHalf(-1e10f) == 0xfc00);
  CHECK(FloatToHalf(std::numeric_limits<float>::infinity()) == 0x7c00);
  CHECK(FloatToHalf(0x1p-24f) == 0x0001);
  CHECK(FloatToHalf(0x1p-25f) == 0x0000);               // tie between 0 and 1: even
  CHECK(FloatToHalf(0x1p-25f * 1.0001f) == 0x0001);
  CHECK(FloatToHalf(3 * 0x1p-25f) == 0x0002);           // 1.5 ulp: tie to even 2
  CHECK(FloatToHalf(5 * 0x1p-25f) == 0x0002);           // 2.5 ulp: tie to even 2
  CHECK(FloatToHalf(0x1p-14f - 0x1p-26f) == 0x0400);    // rounds up into the normals
  CHECK(FloatToHalf(1e-30f) == 0x0000);
  CHECK(FloatToHalf(-1e-30f) == 0x8000);
  CHECK(FloatToHalf(std::numeric_limits<float>::denorm_min()) == 0x0000);
  CHECK(FloatToHalf(-0.0f) == 0x8000);
  const uint16_t nan = FloatToHalf(std::numeric_limits<float>::quiet_NaN());
  CHECK((nan & 0x7c00) == 0x7c00);
  CHECK((nan & 0x03ff) != 0);
}

TEST_CASE("FloatToHalf: random floats round to the nearest half, ties to even") {
  Rng rng(20240601);
  MESSAGE("seed 20240601");
  for (int i = 0; i < 200000; ++i) {
    // Magnitudes from 2^-27 to 2^17 cover zero-rounding, subnormals, normals and overflow.
    const float f = std::ldexp(rng.UniformFloat(1.0f, 2.0f), rng.Uniform(-27, 16)) *
                    (rng.Next() & 1 ? -1.0f : 1.0f);
    const uint16_t h = FloatToHalf(f);
    const double x = std::fabs(static_cast<double>(f));
    const double got = std::fabs(static_cast<double>(HalfToFloat(h)));
    INFO("f = " << f << " h = 0x" << std::hex << h);
    REQUIRE(std::signbit(HalfToFloat(h)) == std::signbit(f));
    if (x >= 65520.0) {
      REQUIRE(std::isinf(got));
      continue;
    }
    // Neighbours of the chosen half must not be closer (and on a tie, h is even).
    const uint16_t mag = h & 0x7fff;
    const double below = mag > 0 ? HalfToFloat(static_cast<uint16_t>(mag - 1)) : -1.0;
    const double above = mag < 0x7bff ? HalfToFloat(static_cast<uint16_t>(mag + 1)) : 1e300;
    const double err = std::fabs(got - x);
    REQUIRE(err <= std::fabs(below - x));
    REQUIRE(err <= std::fabs(above - x));
    if (err == std::fabs(below - x) || err == std::fabs(above - x)) REQUIRE((mag & 1) == 0);
  }
}

TEST_CASE("Bf16ToFloat is exact") {
  CHECK(Bf16ToFloat(0x3f80) == 1.0f);
  CHECK(Bf16ToFloat(0xc0a0) == -5.0f);
  CHECK(Bf16ToFloat(0x3fc0) == 1.5f);
  CHECK(Bf16ToFloat(0x0001) == std::bit_cast<float>(0x00010000u));
  CHECK(Bf16ToFloat(0x7f80) == std::numeric_limits<float>::infinity());
  for (uint32_t h = 0; h < 65536; h += 257) {
    CHECK(std::bit_cast<uint32_t>(Bf16ToFloat(static_cast<uint16_t>(h))) == h << 16);
  }
}

TEST_CASE("DequantizeRow: F32, F16, BF16 and Q8_0 exact") {
  SUBCASE("F32 copies, from an unaligned source") {
    const float values[3] = {1.5f, -2.25f, 1e-30f};
    std::vector<uint8_t> buffer(sizeof(values) + 1);
    std::memcpy(buffer.data() + 1, values, sizeof(values));
    float out[3];
    DequantizeRow(GgmlType::kF32, buffer.data() + 1, out, 3);
    CHECK(std::memcmp(out, values, sizeof(values)) == 0);
  }
  SUBCASE("F16") {
    const uint16_t halves[5] = {0x3c00, 0xc000, 0x0001, 0x7bff, 0x3555};
    float out[5];
    DequantizeRow(GgmlType::kF16, halves, out, 5);
    CHECK(out[0] == 1.0f);
    CHECK(out[1] == -2.0f);
    CHECK(out[2] == 0x1p-24f);
    CHECK(out[3] == 65504.0f);
    CHECK(out[4] == 0.333251953125f);
  }
  SUBCASE("BF16") {
    const uint16_t values[3] = {0x3f80, 0xbe20, 0x4049};
    float out[3];
    DequantizeRow(GgmlType::kBF16, values, out, 3);
    CHECK(out[0] == 1.0f);
    CHECK(out[1] == -0.15625f);
    CHECK(out[2] == 3.140625f);
  }
  SUBCASE("Q8_0: d (half) times qs") {
    // Two blocks: d = 0.5 with qs = -127..., d = -0.0078125 (0xa000) with qs = i.
    uint8_t blocks[2 * 34];
    const uint16_t d0 = 0x3800;  // 0.5
    const uint16_t d1 = 0xa000;  // -2^-7
    std::memcpy(blocks, &d0, 2);
    std::memcpy(blocks + 34, &d1, 2);
    for (int i = 0; i < 32; ++i) {
      blocks[2 + i] = static_cast<uint8_t>(static_cast<int8_t>(i == 0 ? -127 : 127 - 8 * i));
      blocks[36 + i] = static_cast<uint8_t>(static_cast<int8_t>(i - 16));
    }
    float out[64];
    DequantizeRow(GgmlType::kQ8_0, blocks, out, 64);
    CHECK(out[0] == -63.5f);
    for (int i = 1; i < 32; ++i) CHECK(out[i] == 0.5f * static_cast<float>(127 - 8 * i));
    for (int i = 0; i < 32; ++i) CHECK(out[32 + i] == -0.0078125f * static_cast<float>(i - 16));
  }
  SUBCASE("errors") {
    float out[256];
    const uint8_t zeros[256] = {};
    CHECK_THROWS_WITH_AS(DequantizeRow(GgmlType::kQ4_K, zeros, out, 256),
                         "tensor type Q4_K is not supported (supported: F32, F16, BF16, Q8_0)", Error);
    CHECK_THROWS_WITH_AS(DequantizeRow(GgmlType::kI8, zeros, out, 4),
                         "tensor type I8 is not supported (supported: F32, F16, BF16, Q8_0)", Error);
    CHECK_THROWS_WITH_AS(DequantizeRow(static_cast<GgmlType>(99), zeros, out, 4),
                         "unknown ggml type id 99", Error);
    CHECK_THROWS_AS(DequantizeRow(GgmlType::kQ8_0, zeros, out, 33), Error);
    CHECK_THROWS_AS(DequantizeRow(GgmlType::kF32, zeros, out, -1), Error);
  }
}

TEST_CASE("GgufValue::ToString") {
  CHECK(GgufValue::U32(7).ToString() == "7");
  CHECK(GgufValue::U64(std::numeric_limits<uint64_t>::max()).ToString() == "18446744073709551615");
  CHECK(GgufValue::I32(-3).ToString() == "-3");
  CHECK(GgufValue::Bool(true).ToString() == "true");
  CHECK(GgufValue::F32(1e-5f).ToString() == "1e-05");
  CHECK(GgufValue::String("a\"b\n").ToString() == "\"a\\\"b\\n\"");
  CHECK(GgufValue::StringArray({"x", "y", "z"}).ToString(2) == "[string x 3] \"x\", \"y\", ...");
  CHECK(GgufValue::I32Array({}).ToString() == "[i32 x 0]");
  CHECK(ArrayOf({GgufValue::I32Array({1, 2})}).ToString() == "[array x 1] ([i32 x 2] 1, 2)");
  CHECK(std::string(GgufValueTypeName(GgufValueType::kF64)) == "f64");
  CHECK(std::string(GgufValueTypeName(static_cast<GgufValueType>(13))) == "unknown");
}

// ---------------------------------------------------------------------------------------------
// Writer and round trip

TEST_CASE("round trip: every value type and odd tensor shapes, alignment 32 and 64") {
  for (const uint32_t alignment : {32u, 64u}) {
    CAPTURE(alignment);
    Rng rng(1234 + alignment);
    const std::vector<GgufKeyValue> kvs = AllValueKinds();
    const std::vector<TestTensor> tensors = OddTensors(rng);
    GgufWriter writer(alignment);
    for (const GgufKeyValue& kv : kvs) writer.Set(kv.key, kv.value);
    AddTensors(writer, tensors);
    const std::string path = test::ScratchDir() + "/roundtrip" + std::to_string(alignment) + ".gguf";
    writer.Write(path);
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));

    const std::unique_ptr<GgufFile> file = GgufFile::Open(path);
    CHECK(file->path() == path);
    CHECK(file->version() == 3);
    CHECK(file->alignment() == alignment);
    CHECK(file->data_offset() % alignment == 0);
    CHECK(file->file_size() % alignment == 0);
    CHECK(file->file_size() == std::filesystem::file_size(path));

    // Keys in insertion order; the writer adds general.alignment last when not 32.
    const size_t n_expected = kvs.size() + (alignment != 32 ? 1 : 0);
    REQUIRE(file->metadata().size() == n_expected);
    for (size_t i = 0; i < kvs.size(); ++i) {
      CHECK(file->metadata()[i].key == kvs[i].key);
      CheckValuesEqual(file->metadata()[i].value, kvs[i].value, kvs[i].key);
      CHECK(file->Find(kvs[i].key) == &file->metadata()[i].value);
    }
    if (alignment != 32) CHECK(file->GetInt("general.alignment") == alignment);

    REQUIRE(file->tensors().size() == tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      const GgufTensorInfo& info = file->tensors()[i];
      INFO("tensor " << tensors[i].name);
      CHECK(info.name == tensors[i].name);
      CHECK(info.type == tensors[i].type);
      CHECK(info.dims == tensors[i].dims);
      CHECK(info.n_bytes == tensors[i].bytes.size());
      CHECK(info.offset % alignment == 0);
      CHECK(file->FindTensor(info.name) == &info);
      CHECK(std::memcmp(file->TensorData(info), tensors[i].bytes.data(), info.n_bytes) == 0);
    }
    CHECK(file->tensors()[0].offset == 0);
    CHECK(file->tensors()[3].n_elements == 192);
    CHECK(file->tensors()[3].n_bytes == 6 * 34);
    TouchEverything(*file);
  }
}

TEST_CASE("typed getters: conversions and type errors name file, key and both types") {
  GgufWriter writer;
  for (const GgufKeyValue& kv : AllValueKinds()) writer.Set(kv.key, kv.value);
  const std::string path = test::ScratchDir() + "/getters.gguf";
  writer.Write(path);
  const std::unique_ptr<GgufFile> file = GgufFile::Open(path);

  CHECK(file->GetInt("v.u8") == 255);
  CHECK(file->GetInt("v.i8") == -128);
  CHECK(file->GetInt("v.u32") == 4000000000LL);
  CHECK(file->GetInt("v.i64") == std::numeric_limits<int64_t>::min());
  CHECK(file->GetInt("absent") == std::nullopt);
  CHECK(file->GetFloat("v.f32") == static_cast<double>(0.1f));
  CHECK(file->GetFloat("v.f64") == 0.1);
  CHECK(file->GetFloat("v.i16") == -32768.0);
  CHECK(file->GetFloat("v.u64.max") == 18446744073709551615.0);
  CHECK(file->GetBool("v.bool.true") == true);
  CHECK(file->GetBool("v.bool.false") == false);
  CHECK(file->GetString("v.string.empty") == "");
  CHECK(file->GetString("general.architecture") == "llama");
  CHECK(file->GetStringArray("a.string") == std::vector<std::string>{"<unk>", "", "\xe2\x96\x81the"});
  CHECK(file->GetFloatArray("a.f32")->at(0) == 1.5);
  CHECK(file->GetFloatArray("a.i32") == std::vector<double>{-5, 0, 7, 2147483647});
  CHECK(file->GetIntArray("a.u16") == std::vector<int64_t>{0, 65535});
  CHECK(file->GetIntArray("a.empty.u32") == std::vector<int64_t>{});
  CHECK(file->RequireInt("v.u16") == 65535);
  CHECK(file->RequireFloat("v.f64") == 0.1);
  CHECK(file->RequireString("general.architecture") == "llama");

  const std::string p = path + ": ";
  CHECK_THROWS_WITH_AS(file->GetInt("v.string"), (p + "key 'v.string' has type string, expected an integer").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->GetInt("v.bool.true"), (p + "key 'v.bool.true' has type bool, expected an integer").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->GetInt("v.f32"), (p + "key 'v.f32' has type f32, expected an integer").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->GetInt("v.u64.big"),
                       (p + "key 'v.u64.big' value 9223372036854775808 (u64) does not fit in int64").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->GetFloat("v.string"),
                       (p + "key 'v.string' has type string, expected a number (f32, f64 or integer)").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->GetBool("v.u8"), (p + "key 'v.u8' has type u8, expected bool").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->GetString("a.string"), (p + "key 'a.string' has type array of string, expected string").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->GetStringArray("a.i32"), (p + "key 'a.i32' has type array of i32, expected array of string").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->GetIntArray("a.f32"), (p + "key 'a.f32' has type array of f32, expected array of integers").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->GetIntArray("a.bool"), (p + "key 'a.bool' has type array of bool, expected array of integers").c_str(), Error);
  CHECK_THROWS_AS(file->GetIntArray("a.u64"), Error);  // 2^64-1 does not fit in int64
  CHECK_THROWS_WITH_AS(file->GetFloatArray("a.string"),
                       (p + "key 'a.string' has type array of string, expected array of numbers (f32, f64 or integer)").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->RequireInt("llama.context_length"), (p + "missing required key 'llama.context_length'").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->RequireString("x"), (p + "missing required key 'x'").c_str(), Error);
  CHECK_THROWS_WITH_AS(file->RequireTensor("output.weight"), (p + "missing tensor 'output.weight'").c_str(), Error);
  CHECK(file->FindTensor("output.weight") == nullptr);
}

TEST_CASE("writer: Set replaces in place, validation, atomic write") {
  SUBCASE("Set keeps the first insertion order") {
    GgufWriter writer;
    writer.Set("a", GgufValue::U32(1));
    writer.Set("b", GgufValue::U32(2));
    writer.Set("c", GgufValue::U32(3));
    writer.Set("b", GgufValue::String("two"));
    const std::string path = test::ScratchDir() + "/replace.gguf";
    writer.Write(path);
    const std::unique_ptr<GgufFile> file = GgufFile::Open(path);
    REQUIRE(file->metadata().size() == 3);
    CHECK(file->metadata()[0].key == "a");
    CHECK(file->metadata()[1].key == "b");
    CHECK(file->metadata()[2].key == "c");
    CHECK(file->GetString("b") == "two");
    CHECK(file->tensors().empty());
  }
  SUBCASE("general.alignment set as a key drives the layout") {
    GgufWriter writer;
    writer.Set("general.alignment", GgufValue::U32(128));
    const float w[3] = {1, 2, 3};
    writer.AddTensor("a", GgmlType::kF32, {3}, w);
    writer.AddTensor("b", GgmlType::kF32, {3}, w);
    const std::string path = test::ScratchDir() + "/align128.gguf";
    writer.Write(path);
    const std::unique_ptr<GgufFile> file = GgufFile::Open(path);
    CHECK(file->alignment() == 128);
    CHECK(file->metadata().size() == 1);
    CHECK(file->tensors()[1].offset == 128);
    CHECK(file->data_offset() % 128 == 0);
  }
  SUBCASE("invalid input is refused before writing") {
    GgufWriter writer;
    CHECK_THROWS_WITH_AS(GgufWriter(3), "GgufWriter: alignment 3 is not a non-zero power of two", Error);
    CHECK_THROWS_WITH_AS(GgufWriter(0), "GgufWriter: alignment 0 is not a non-zero power of two", Error);
    CHECK_THROWS_WITH_AS(writer.Set("k", Scalar(GgufValueType::kU8, 300)),
                         "GgufWriter: key 'k': value 300 does not fit in u8", Error);
    CHECK_THROWS_WITH_AS(writer.Set("k", IntArray(GgufValueType::kI8, {1, -129})),
                         "GgufWriter: key 'k': value -129 does not fit in i8", Error);
    GgufValue mixed = GgufValue::StringArray({"a"});
    mixed.ints = {1};
    CHECK_THROWS_AS(writer.Set("k", mixed), Error);
    CHECK_THROWS_WITH_AS(writer.Set("k", Nested(9)), "GgufWriter: key 'k': arrays nested deeper than 8 levels", Error);
    CHECK_THROWS_AS(writer.Set("general.alignment", GgufValue::U32(48)), Error);
    CHECK_THROWS_AS(writer.Set("general.alignment", GgufValue::String("32")), Error);
    const float w[64] = {};
    writer.AddTensor("t", GgmlType::kF32, {4}, w);
    CHECK_THROWS_WITH_AS(writer.AddTensor("t", GgmlType::kF32, {4}, w),
                         "GgufWriter: tensor 't': duplicate tensor name", Error);
    CHECK_THROWS_WITH_AS(writer.AddTensor("q", GgmlType::kQ8_0, {33}, w),
                         "GgufWriter: tensor 'q': row length 33 is not a multiple of the Q8_0 block size 32", Error);
    CHECK_THROWS_AS(writer.AddTensor("z", GgmlType::kF32, {4, 0}, w), Error);
    CHECK_THROWS_AS(writer.AddTensor("d", GgmlType::kF32, {}, w), Error);
    CHECK_THROWS_AS(writer.AddTensor("d5", GgmlType::kF32, {1, 1, 1, 1, 1}, w), Error);
    CHECK_THROWS_AS(writer.AddTensor("o", GgmlType::kF32, {1ull << 32, 1ull << 32}, w), Error);
    CHECK_THROWS_AS(writer.AddTensor("u", static_cast<GgmlType>(99), {4}, w), Error);
    CHECK_THROWS_AS(writer.AddTensor("n", GgmlType::kF32, {4}, static_cast<const void*>(nullptr)), Error);
  }
  SUBCASE("write errors name the path and leave nothing behind") {
    GgufWriter writer;
    const std::string bad = test::ScratchDir() + "/no/such/dir/x.gguf";
    try {
      writer.Write(bad);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).rfind(bad + ": cannot create", 0) == 0);
    }
    // A throwing generator: the old file stays intact and no temporary is left.
    const std::string path = test::ScratchDir() + "/keep.gguf";
    test::WriteScratchFile("keep.gguf", "old contents");
    writer.AddTensor("g", GgmlType::kF32, {4}, [](uint8_t*, uint64_t) { throw Error("generator failed"); });
    CHECK_THROWS_WITH_AS(writer.Write(path), "generator failed", Error);
    CHECK(test::ReadFile(path) == "old contents");
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  }
  SUBCASE("Write replaces an existing file") {
    test::WriteScratchFile("over.gguf", "junk");
    GgufWriter writer;
    writer.Set("k", GgufValue::U32(5));
    const std::string path = test::ScratchDir() + "/over.gguf";
    writer.Write(path);
    CHECK(GgufFile::Open(path)->GetInt("k") == 5);
  }
}

// ---------------------------------------------------------------------------------------------
// Real files

TEST_CASE("reads the shared docs-llama-7m model") {
  const std::string path = test::FindAsset("models/docs-llama-7m/model.f32.gguf");
  if (path.empty()) {
    MESSAGE("skipped: models/docs-llama-7m/model.f32.gguf not found");
    return;
  }
  const std::unique_ptr<GgufFile> file = GgufFile::Open(path);
  CHECK(file->version() == 3);
  CHECK(file->tensors().size() == 57);
  CHECK(file->metadata().size() == 22);
  CHECK(file->GetString("general.architecture") == "llama");
  CHECK(file->GetInt("llama.embedding_length") == 288);
  CHECK(file->GetInt("llama.block_count") == 6);
  const GgufTensorInfo& embd = file->RequireTensor("token_embd.weight");
  CHECK(embd.type == GgmlType::kF32);
  CHECK(embd.dims == std::vector<uint64_t>{288, 4096});
  CHECK(embd.n_elements == 288ull * 4096);
  CHECK(embd.n_bytes == 288ull * 4096 * 4);
  uint64_t total = 0;
  for (const GgufTensorInfo& info : file->tensors()) {
    CHECK(info.type == GgmlType::kF32);
    CHECK(file->data_offset() + info.offset + info.n_bytes <= file->file_size());
    total += info.n_bytes;
  }
  CHECK(total > 7000000ull * 4);  // 7.67M parameters
  // The embedding row of a token is finite and not all zero.
  std::vector<float> row(288);
  DequantizeRow(embd.type, file->TensorData(embd) + 100 * 288 * 4, row.data(), 288);
  bool any_nonzero = false;
  for (const float v : row) {
    CHECK(std::isfinite(v));
    any_nonzero = any_nonzero || v != 0.0f;
  }
  CHECK(any_nonzero);
}

TEST_CASE("copying the real llama model through the writer preserves it") {
  const std::string path = test::FindAsset("models/docs-llama-7m/model.f32.gguf");
  if (path.empty()) {
    MESSAGE("skipped: models/docs-llama-7m/model.f32.gguf not found");
    return;
  }
  const std::unique_ptr<GgufFile> original = GgufFile::Open(path);
  GgufWriter writer(static_cast<uint32_t>(original->alignment()));
  for (const GgufKeyValue& kv : original->metadata()) writer.Set(kv.key, kv.value);
  for (const GgufTensorInfo& info : original->tensors()) {
    writer.AddTensor(info.name, info.type, info.dims, original->TensorData(info));
  }
  const std::string copy_path = test::ScratchDir() + "/llama-copy.gguf";
  writer.Write(copy_path);
  const std::unique_ptr<GgufFile> copy = GgufFile::Open(copy_path);
  REQUIRE(copy->metadata().size() == original->metadata().size());
  for (size_t i = 0; i < copy->metadata().size(); ++i) {
    CHECK(copy->metadata()[i].key == original->metadata()[i].key);
    CheckValuesEqual(copy->metadata()[i].value, original->metadata()[i].value, copy->metadata()[i].key);
  }
  REQUIRE(copy->tensors().size() == original->tensors().size());
  for (size_t i = 0; i < copy->tensors().size(); ++i) {
    const GgufTensorInfo& a = copy->tensors()[i];
    const GgufTensorInfo& b = original->tensors()[i];
    CHECK(a.name == b.name);
    CHECK(a.dims == b.dims);
    CHECK(std::memcmp(copy->TensorData(a), original->TensorData(b), a.n_bytes) == 0);
  }
  std::filesystem::remove(copy_path);
}

TEST_CASE("reads the shared SPM vocabulary file") {
  const std::string path = test::FindAsset("models/vocab/ggml-vocab-llama-spm.gguf");
  if (path.empty()) {
    MESSAGE("skipped: models/vocab/ggml-vocab-llama-spm.gguf not found");
    return;
  }
  const std::unique_ptr<GgufFile> file = GgufFile::Open(path);
  CHECK(file->version() == 3);
  CHECK(file->tensors().empty());
  CHECK(file->GetString("tokenizer.ggml.model") == "llama");
  const std::vector<std::string> tokens = *file->GetStringArray("tokenizer.ggml.tokens");
  REQUIRE(tokens.size() == 32000);
  CHECK(tokens[0] == "<unk>");
  CHECK(tokens[1] == "<s>");
  CHECK(tokens[2] == "</s>");
  CHECK(file->GetFloatArray("tokenizer.ggml.scores")->size() == 32000);
  CHECK(file->GetIntArray("tokenizer.ggml.token_type")->size() == 32000);
  CHECK(file->Find("tokenizer.ggml.tokens")->ToString(2) == "[string x 32000] \"<unk>\", \"<s>\", ...");
}

TEST_CASE("reads the shared docs-gpt2-7m model and the GPT-2 vocabulary") {
  const std::string path = test::FindAsset("models/docs-gpt2-7m/model.f32.gguf");
  if (path.empty()) {
    MESSAGE("skipped: models/docs-gpt2-7m/model.f32.gguf not found");
  } else {
    const std::unique_ptr<GgufFile> file = GgufFile::Open(path);
    CHECK(file->tensors().size() == 77);
    CHECK(file->GetString("general.architecture") == "gpt2");
    for (const GgufTensorInfo& info : file->tensors()) CHECK(IsFloatDequantizable(info.type));
  }
  const std::string vocab = test::FindAsset("models/vocab/ggml-vocab-gpt-2.gguf");
  if (vocab.empty()) {
    MESSAGE("skipped: models/vocab/ggml-vocab-gpt-2.gguf not found");
  } else {
    const std::unique_ptr<GgufFile> file = GgufFile::Open(vocab);
    CHECK(file->GetString("tokenizer.ggml.model") == "gpt2");
    CHECK(file->GetStringArray("tokenizer.ggml.merges")->size() > 40000);
  }
}

// ---------------------------------------------------------------------------------------------
// Malformed input

TEST_CASE("missing, empty, directory and non-GGUF files") {
  const std::string missing = test::ScratchDir() + "/does-not-exist.gguf";
  CHECK(OpenError(missing) == missing + ": cannot open: No such file or directory");
  CHECK(OpenError(test::ScratchDir()) == test::ScratchDir() + ": is a directory, not a file");
  const std::string empty = test::WriteScratchFile("empty.gguf", "");
  CHECK(OpenError(empty) == empty + ": empty file (0 bytes), not a GGUF file");
  const std::string tiny = test::WriteScratchFile("tiny.gguf", "GG");
  CHECK(OpenError(tiny) == tiny + ": not a GGUF file (only 2 bytes)");
  const std::string ggjt = test::WriteScratchFile("ggjt.bin", "tjgg\x03\0\0\0");
  CHECK(OpenError(ggjt) == ggjt + ": not a GGUF file (magic 74 6a 67 67 \"tjgg\", expected 47 47 55 46 \"GGUF\")");
  const std::string llama2c = test::FindAsset("models/stories260K/stories260K.bin");
  if (!llama2c.empty()) {
    CHECK(OpenError(llama2c).find(llama2c + ": not a GGUF file (magic 40 00 00 00 \"@\\x00\\x00\\x00\"") == 0);
  }
}

TEST_CASE("MappedFile maps files, refuses directories and missing paths") {
  const std::string path = test::WriteScratchFile("mapped.bin", std::string("abc\0def", 7));
  const std::unique_ptr<MappedFile> mapped = MappedFile::Open(path);
  CHECK(mapped->size() == 7);
  CHECK(std::string(reinterpret_cast<const char*>(mapped->data()), mapped->size()) == std::string("abc\0def", 7));
  CHECK(mapped->path() == path);
  const std::unique_ptr<MappedFile> empty = MappedFile::Open(test::WriteScratchFile("mapped-empty.bin", ""));
  CHECK(empty->size() == 0);
  CHECK(empty->data() != nullptr);
  CHECK_THROWS_WITH_AS(MappedFile::Open(test::ScratchDir()), (test::ScratchDir() + ": is a directory, not a file").c_str(), Error);
  CHECK_THROWS_WITH_AS(MappedFile::Open(path + ".nope"), (path + ".nope: cannot open: No such file or directory").c_str(), Error);
  CHECK_THROWS_AS(MappedFile::Open("/dev/null"), Error);  // not a regular file
  if (geteuid() == 0) {
    MESSAGE("skipped: unreadable-file check (running as root, permissions do not apply)");
  } else {
    const std::string locked = test::WriteScratchFile("locked.bin", "x");
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    CHECK_THROWS_WITH_AS(MappedFile::Open(locked), (locked + ": cannot open: Permission denied").c_str(), Error);
  }
}

TEST_CASE("header errors: version, counts") {
  CheckParseError(Bytes().Header(0, 0, 1).str(), "mem.gguf: unsupported GGUF version 1");
  CheckParseError(Bytes().Header(0, 0, 4).str(), "mem.gguf: unsupported GGUF version 4 (supported: 2, 3)");
  CheckParseError(Bytes().Header(0, 0, 0x03000000).str(), "looks like a big-endian v3 file");
  CheckParseError(Bytes().Header(0, 1ull << 60).str(),
                  "mem.gguf: metadata key/value count 1152921504606846976 at offset 16 cannot fit in the "
                  "remaining 0 bytes of the file (each needs at least 13)");
  CheckParseError(Bytes().Header(~0ull, 0).str(), "tensor count 18446744073709551615 at offset 8 cannot fit");
  CheckParseError(Bytes().Raw("GGUF").U32(3).U64(0).str(),
                  "mem.gguf: truncated: metadata key/value count (8 bytes) at offset 16 runs past end of file (size 16)");
  // Version 2 files parse like version 3.
  const std::string v2_bytes = Bytes().Header(0, 0, 2).str();
  const std::unique_ptr<GgufFile> v2 = GgufFile::FromMemory(v2_bytes.data(), v2_bytes.size(), "v2.gguf");
  CHECK(v2->version() == 2);
  CHECK(v2->metadata().empty());
}

TEST_CASE("metadata errors: lengths, counts, types, duplicates, nesting, alignment") {
  const uint32_t kArray = static_cast<uint32_t>(GgufValueType::kArray);
  CheckParseError(Bytes().Header(0, 1).U64(1000000).Zeros(8).str(),
                  "mem.gguf: metadata key 0: truncated: key length 1000000 at offset 24 runs past end of "
                  "file (size 40)");
  CheckParseError(Bytes().Header(0, 1).Str("k").U32(8).U64(~0ull).str(),
                  "mem.gguf: key 'k': truncated: string length 18446744073709551615 at offset 37 runs past end of file (size 45)");
  CheckParseError(Bytes().Header(0, 1).Str("k").U32(kArray).U32(4).U64(1ull << 62).Zeros(16).str(),
                  "mem.gguf: key 'k': array of u32: count 4611686018427387904 at offset 41 cannot fit in the "
                  "remaining 16 bytes of the file (each needs at least 4)");
  CheckParseError(Bytes().Header(0, 1).Str("k").U32(kArray).U32(8).U64(3).Str("a").str(),
                  "mem.gguf: key 'k': array of string: count 3 at offset 41 cannot fit");
  CheckParseError(Bytes().Header(0, 1).Str("k").U32(13).U32(0).str(),
                  "mem.gguf: key 'k': unknown value type 13 at offset 33 (known: 0..12)");
  CheckParseError(Bytes().Header(0, 1).Str("k").U32(kArray).U32(77).U64(0).str(),
                  "mem.gguf: key 'k': unknown array element type 77 at offset 37");
  CheckParseError(Bytes().Header(0, 2).KeyU32("a", 1).KeyU32("a", 2).str(),
                  "mem.gguf: key 'a': duplicate key (metadata entries 0 and 1)");
  CheckParseError(Bytes().Header(0, 1).Str("bad\nkey\x01").U32(99).str(), "mem.gguf: key 'bad\\x0akey\\x01': unknown value type 99");
  CheckParseError(Bytes().Header(0, 1).KeyU32("general.alignment", 0).str(),
                  "mem.gguf: key 'general.alignment': alignment 0 is not a non-zero power of two");
  CheckParseError(Bytes().Header(0, 1).KeyU32("general.alignment", 3).str(),
                  "mem.gguf: key 'general.alignment': alignment 3 is not a non-zero power of two");
  CheckParseError(Bytes().Header(0, 1).Str("general.alignment").U32(8).Str("32").str(),
                  "mem.gguf: key 'general.alignment': must be u32, found string");

  // Nesting: 8 array levels parse, 9 do not; a long chain never recurses without bound.
  auto nested_file = [&](int levels) {
    Bytes b;
    b.Header(0, 1).Str("deep").U32(kArray);
    for (int i = 1; i < levels; ++i) b.U32(kArray).U64(1);
    return b.U32(0).U64(1).Raw("x").str();  // innermost: one u8
  };
  CHECK(ParseError(nested_file(8)) == "");
  CheckParseError(nested_file(9), "mem.gguf: key 'deep': arrays nested deeper than 8 levels");
  CheckParseError(nested_file(100000), "arrays nested deeper than 8 levels");
}

TEST_CASE("metadata memory stays within 4x the file plus 16 MiB") {
  const uint32_t kArray = static_cast<uint32_t>(GgufValueType::kArray);
  // 12 bytes of file per empty nested array, but a whole GgufValue each in memory: 300000 of
  // them (3.6 MB) would take 50 MB, more than the 4 x 3.6 + 16 MiB allowed.
  auto empty_arrays = [&](uint64_t n) {
    Bytes b;
    b.Header(0, 1).Str("x").U32(kArray).U32(kArray).U64(n);
    for (uint64_t i = 0; i < n; ++i) b.U32(0).U64(0);
    return b.str();
  };
  CHECK(ParseError(empty_arrays(1000)) == "");
  CheckParseError(empty_arrays(300000),
                  "mem.gguf: key 'x': the metadata would take more than 29 MiB of memory (4 times the file's 3600049 "
                  "bytes, plus 16 MiB): the file is corrupt or hostile");
  // One-byte keys: 14 bytes of file each, a key/value and an index entry in memory.
  auto tiny_keys = [](uint64_t n) {
    Bytes b;
    b.Header(0, n);
    for (uint64_t i = 0; i < n; ++i) b.Str(std::to_string(i)).U32(0).Raw("\x01");
    return b.str();
  };
  CHECK(ParseError(tiny_keys(1000)) == "");
  CheckParseError(tiny_keys(300000), "the metadata would take more than");
}

TEST_CASE("tensor info errors") {
  const uint32_t kF32 = 0;
  auto one_tensor = [](std::vector<uint64_t> dims, uint32_t type, uint64_t offset, size_t data_bytes) {
    return Bytes().Header(1, 0).TensorInfo("w", std::move(dims), type, offset).PadTo(32).Zeros(data_bytes).str();
  };
  CHECK(ParseError(one_tensor({4, 2}, kF32, 0, 32)) == "");
  CheckParseError(one_tensor({4}, 99, 0, 64), "mem.gguf: tensor 'w': unknown ggml tensor type id 99 at offset");
  CheckParseError(one_tensor({4}, 4, 0, 64), "unknown ggml tensor type id 4");
  CheckParseError(one_tensor({}, kF32, 0, 64), "mem.gguf: tensor 'w': n_dims 0 at offset 33 is out of range 1..4");
  CheckParseError(one_tensor({1, 1, 1, 1, 1}, kF32, 0, 64), "mem.gguf: tensor 'w': n_dims 5 at offset 33 is out of range 1..4");
  CheckParseError(one_tensor({4, 0}, kF32, 0, 64), "mem.gguf: tensor 'w': dimension 1 is 0 (dims [4, 0])");
  CheckParseError(one_tensor({1ull << 32, 1ull << 32}, kF32, 0, 64),
                  "mem.gguf: tensor 'w': element count of dims [4294967296, 4294967296] overflows int64");
  CheckParseError(one_tensor({1ull << 62, 2}, kF32, 0, 64), "overflows int64");
  CheckParseError(one_tensor({~0ull, ~0ull, ~0ull, ~0ull}, kF32, 0, 64), "overflows int64");
  CheckParseError(one_tensor({33}, 8, 0, 64),
                  "mem.gguf: tensor 'w': row length 33 (dims[0]) is not a multiple of the Q8_0 block size 32");
  CheckParseError(one_tensor({4}, kF32, 4, 64), "mem.gguf: tensor 'w': data offset 4 is not a multiple of the alignment 32");
  CheckParseError(one_tensor({100}, kF32, 0, 64),
                  "mem.gguf: tensor 'w': data runs past end of file (data section at 64 + offset 0 + 400 bytes > file size 128)");
  CheckParseError(one_tensor({4}, kF32, ~0ull - 31, 64), "data runs past end of file");
  CheckParseError(one_tensor({1ull << 61}, kF32, 0, 64), "data runs past end of file");
  // Data that ends exactly at the end of the file is fine; one byte short is not.
  CHECK(ParseError(one_tensor({8}, kF32, 0, 32)) == "");
  CheckParseError(one_tensor({8}, kF32, 0, 31), "data runs past end of file");
  CheckParseError(Bytes().Header(2, 0).TensorInfo("w", {4}, kF32, 0).TensorInfo("w", {4}, kF32, 32).PadTo(32).Zeros(64).str(),
                  "mem.gguf: tensor 'w': duplicate tensor name (tensor infos 0 and 1)");
  CheckParseError(Bytes().Header(1, 0).U64(1ull << 40).Zeros(40).str(),
                  "mem.gguf: tensor info 0: truncated: tensor name length 1099511627776 at offset 24 runs past end of file");
  // The tensor count is checked again, exactly, after the metadata.
  CheckParseError(Bytes().Header(2, 1).KeyU32("k", 1).Zeros(50).str(), "mem.gguf: tensor count 2 at offset 8 cannot fit");
  // With a custom alignment, offsets and the data section follow it.
  const std::string aligned64 = Bytes().Header(1, 1).KeyU32("general.alignment", 64).TensorInfo("w", {4}, kF32, 32).PadTo(64).Zeros(128).str();
  CheckParseError(aligned64, "data offset 32 is not a multiple of the alignment 64");
}

TEST_CASE("a valid file truncated at every byte offset throws ingot::Error, never crashes") {
  const std::string bytes = SmallValidFile();
  const std::unique_ptr<GgufFile> full = GgufFile::FromMemory(bytes.data(), bytes.size(), "full");
  uint64_t needed = 0;  // the end of the last tensor's data; the tail padding is optional
  for (const GgufTensorInfo& info : full->tensors()) {
    needed = std::max(needed, full->data_offset() + info.offset + info.n_bytes);
  }
  REQUIRE(needed <= bytes.size());
  int errors = 0;
  for (size_t len = 0; len < bytes.size(); ++len) {
    const std::string message = ParseError(bytes.substr(0, len));
    INFO("length " << len << ": " << message);
    if (len < needed) {
      CHECK(message.rfind("mem.gguf: ", 0) == 0);
      ++errors;
    } else {
      CHECK(message == "");
    }
  }
  CHECK(errors == static_cast<int>(needed));
  // Through the file path too, for a few lengths.
  for (const size_t len : {size_t{0}, size_t{3}, size_t{23}, bytes.size() / 2, static_cast<size_t>(needed - 1)}) {
    const std::string path = test::WriteScratchFile("trunc.gguf", bytes.substr(0, len));
    CHECK(OpenError(path).rfind(path + ": ", 0) == 0);
  }
}

TEST_CASE("random mutations of a valid file parse or throw ingot::Error") {
  const char* env_seed = std::getenv("INGOT_TEST_SEED");
  const uint64_t seed = env_seed != nullptr ? std::strtoull(env_seed, nullptr, 10) : 0x5eed6a11ull;
  MESSAGE("mutation seed " << seed << " (set INGOT_TEST_SEED to reproduce another)");
  Rng rng(seed);
  const std::string original = SmallValidFile();
  // Values that make counts, lengths and offsets interesting when written over a u64.
  const uint64_t kInteresting[] = {0, 1, 2, 31, 32, 33, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                   ~0ull, ~0ull - 31, 1ull << 32, original.size(), original.size() + 1};
  int parsed = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = original;
    const int n_mutations = rng.Uniform(1, 4);
    for (int m = 0; m < n_mutations; ++m) {
      const auto at = static_cast<size_t>(rng.Uniform(0, static_cast<int32_t>(bytes.size()) - 1));
      switch (rng.Uniform(0, 4)) {
        case 0: bytes[at] = static_cast<char>(bytes[at] ^ (1 << rng.Uniform(0, 7))); break;
        case 1: bytes[at] = static_cast<char>(rng.Next()); break;
        case 2: bytes.insert(at, static_cast<size_t>(rng.Uniform(1, 8)), static_cast<char>(rng.Next())); break;
        case 3: bytes.erase(at, static_cast<size_t>(rng.Uniform(1, 8))); break;
        default: {
          const uint64_t v = kInteresting[rng.Uniform(0, static_cast<int32_t>(std::size(kInteresting)) - 1)];
          if (at + 8 <= bytes.size()) std::memcpy(bytes.data() + at, &v, 8);
        }
      }
      if (bytes.empty()) bytes = "G";
    }
    INFO("seed " << seed << " mutant " << i);
    std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size()]);
    std::memcpy(copy.get(), bytes.data(), bytes.size());
    try {
      const std::unique_ptr<GgufFile> file = GgufFile::FromMemory(copy.get(), bytes.size(), "mutant.gguf");
      TouchEverything(*file);
      ++parsed;
    } catch (const Error& e) {
      const std::string message = e.what();
      CHECK(message.rfind("mutant.gguf: ", 0) == 0);
      CHECK(message.find('\n') == std::string::npos);
    } catch (const std::exception& e) {
      FAIL_CHECK("non-ingot exception: " << e.what());
    }
  }
  MESSAGE(parsed << " of 2000 mutants parsed");
}

}  // namespace
}  // namespace ingot

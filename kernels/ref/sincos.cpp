#include "kernels/ref/sincos.h"

#include "kernels/fixed_point.h"

namespace ingot::kernels::ref {

namespace {

constexpr int64_t kPiQ32 = 13493037705;  // round(pi * 2^32)
constexpr int64_t kOneQ31 = int64_t{1} << 31;
// 1 / k! in Q31.
constexpr int64_t kInvFact2 = 1073741824, kInvFact3 = 357913941, kInvFact4 = 89478485,
                  kInvFact5 = 17895697, kInvFact6 = 2982616, kInvFact7 = 426088,
                  kInvFact8 = 53261, kInvFact9 = 5918, kInvFact10 = 592, kInvFact11 = 54,
                  kInvFact12 = 4;

int64_t MulQ31(int64_t a, int64_t b) { return RoundingShiftRight64(a * b, 31); }  // |a|, |b| <= 2^31

}  // namespace

SinCosQ30 SinCosTurns(uint32_t turns) {
  const uint32_t octant = turns >> 29;
  const uint32_t frac = turns & ((uint32_t{1} << 29) - 1);
  // Odd octants are mirrored, so phi always lies in [0, pi/4].
  const int64_t f = (octant & 1) != 0 ? (int64_t{1} << 29) - frac : int64_t{frac};
  const int64_t phi = RoundingShiftRight64(f * kPiQ32, 32);  // radians, Q31: f * (pi/4) / 2^29
  const int64_t x2 = MulQ31(phi, phi);
  int64_t s = kInvFact11;
  s = kInvFact9 - MulQ31(x2, s);
  s = kInvFact7 - MulQ31(x2, s);
  s = kInvFact5 - MulQ31(x2, s);
  s = kInvFact3 - MulQ31(x2, s);
  s = kOneQ31 - MulQ31(x2, s);
  s = MulQ31(phi, s);  // sin(phi), Q31
  int64_t c = kInvFact12;
  c = kInvFact10 - MulQ31(x2, c);
  c = kInvFact8 - MulQ31(x2, c);
  c = kInvFact6 - MulQ31(x2, c);
  c = kInvFact4 - MulQ31(x2, c);
  c = kInvFact2 - MulQ31(x2, c);
  c = kOneQ31 - MulQ31(x2, c);  // cos(phi), Q31
  const auto sq = static_cast<int32_t>(RoundingShiftRight64(s, 1));
  const auto cq = static_cast<int32_t>(RoundingShiftRight64(c, 1));
  switch (octant) {
    case 0: return {sq, cq};     // phi
    case 1: return {cq, sq};     // pi/2 - phi
    case 2: return {cq, -sq};    // pi/2 + phi
    case 3: return {sq, -cq};    // pi - phi
    case 4: return {-sq, -cq};   // pi + phi
    case 5: return {-cq, -sq};   // 3pi/2 - phi
    case 6: return {-cq, sq};    // 3pi/2 + phi
    default: return {-sq, cq};   // 2pi - phi
  }
}

void BuildRopeTablesQ30(const uint64_t* freq_turns_q64, int32_t half, int32_t n_pos,
                        int32_t* cos_q30, int32_t* sin_q30) {
  for (int32_t p = 0; p < n_pos; ++p) {
    for (int32_t i = 0; i < half; ++i) {
      const uint64_t angle = static_cast<uint64_t>(p) * freq_turns_q64[i];  // mod 2^64
      const auto turns = static_cast<uint32_t>((angle >> 32) + ((angle >> 31) & 1));  // round, wraps
      const SinCosQ30 sc = SinCosTurns(turns);
      cos_q30[static_cast<int64_t>(p) * half + i] = sc.cos;
      sin_q30[static_cast<int64_t>(p) * half + i] = sc.sin;
    }
  }
}

}  // namespace ingot::kernels::ref

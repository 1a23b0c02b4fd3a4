// Tokenizer tests: llama.cpp's SPM and GPT-2 test vectors, the GGUF-built model against the
// real tokenizer.model files, byte-level BPE on tiny vocabularies, streaming, and error
// messages.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "model_io/bpe.h"
#include "model_io/error.h"
#include "model_io/gguf.h"
#include "model_io/pretokenizer.h"
#include "model_io/spm_proto.h"
#include "model_io/tokenizer.h"
#include "model_io/unicode.h"
#include "tests/test_util.h"
#include "tests/unit/vocab_vectors.h"

namespace ingot {
namespace {

using test::FindAsset;

// The 46 llama-spm vectors; how many matched (0 when assets are absent).
size_t CheckLlamaSpmVectors(const Tokenizer& tokenizer) {
  return test::CheckVocabVectors(tokenizer, "llama-spm", false);
}

// Bytes of a GGUF v3 file holding only metadata, for error cases the shared files lack.
class MiniGguf {
 public:
  void String(const std::string& key, const std::string& value) {
    Key(key, 8);
    Str(value);
  }
  void StringArray(const std::string& key, const std::vector<std::string>& values) {
    Key(key, 9);
    U32(8);
    U64(values.size());
    for (const auto& v : values) Str(v);
  }
  void F32Array(const std::string& key, const std::vector<float>& values) {
    Key(key, 9);
    U32(6);
    U64(values.size());
    for (const float v : values) Raw(&v, 4);
  }
  std::string Bytes() const {
    std::string header = "GGUF";
    const uint32_t version = 3;
    const uint64_t n_tensors = 0;
    header.append(reinterpret_cast<const char*>(&version), 4);
    header.append(reinterpret_cast<const char*>(&n_tensors), 8);
    header.append(reinterpret_cast<const char*>(&n_kv_), 8);
    return header + body_;
  }

 private:
  void Key(const std::string& key, uint32_t type) {
    ++n_kv_;
    Str(key);
    U32(type);
  }
  void Str(const std::string& s) {
    U64(s.size());
    body_ += s;
  }
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void Raw(const void* p, size_t n) { body_.append(static_cast<const char*>(p), n); }

  uint64_t n_kv_ = 0;
  std::string body_;
};

std::string ErrorMessage(auto&& function) {
  try {
    function();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// UTF-8 texts that exercise byte fallback (emoji, CJK, Khmer, a ZWJ sequence), control
// characters, and runs of spaces at the start, middle and end.
const std::vector<std::string> kStreamingTexts = {
    "Hello world",
    " Hello  world ",
    "   three leading spaces and trailing   ",
    "tabs\tand\nnewlines\n\n",
    "\n",
    "🦙🦙 llamas 🚀 (normal) 😶‍🌫️ ✅",
    "我想在apple工作1314151天～",
    "កាន់តែពិសេសអាច",
    "Cửa Việt нещо на Български",
    "mixed: 3.14159 ... !!! ''' \"\"\" ```",
};

}  // namespace

TEST_CASE("ProtoWriter emits protobuf wire format") {
  ProtoWriter w;
  w.WriteVarintField(1, 150);  // the example of protobuf's encoding guide: 08 96 01
  CHECK(w.bytes() == std::string("\x08\x96\x01", 3));

  ProtoWriter negative;  // proto2 int32 -1: tag 43<<3 = 344 = d8 02, then ten bytes
  negative.WriteInt32Field(43, -1);
  CHECK(negative.bytes() == std::string("\xd8\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12));

  ProtoWriter f;
  f.WriteFloatField(2, 1.0f);            // tag 15, then 0x3f800000 little-endian
  f.WriteFloatField(2, -1000000000.0f);  // the score of "▁▁" in the Llama vocabulary: 0xce6e6b28
  CHECK(f.bytes() == std::string("\x15\x00\x00\x80\x3f\x15\x28\x6b\x6e\xce", 10));

  ProtoWriter s;
  s.WriteBytesField(2, "testing");
  s.WriteBoolField(3, true);
  s.WriteBytesField(4, "");
  CHECK(s.bytes() == std::string("\x12\x07testing\x18\x01\x22\x00", 13));

  ProtoWriter long_string;  // a length over 127 takes a two-byte varint
  long_string.WriteBytesField(1, std::string(300, 'x'));
  CHECK(long_string.bytes().substr(0, 3) == std::string("\x0a\xac\x02", 3));
  CHECK(long_string.bytes().size() == 303);
}

TEST_CASE("llama-spm test vectors through the GGUF vocabulary") {
  const std::string path = FindAsset("models/vocab/ggml-vocab-llama-spm.gguf");
  if (path.empty()) {
    MESSAGE("skipped: models/vocab/ggml-vocab-llama-spm.gguf not found");
    return;
  }
  const auto gguf = GgufFile::Open(path);
  const auto tokenizer = Tokenizer::FromGguf(*gguf);
  CHECK(tokenizer->n_vocab() == 32000);
  CHECK(tokenizer->bos_id() == 1);
  CHECK(tokenizer->eos_id() == 2);
  CHECK(tokenizer->add_bos() == gguf->GetBool("tokenizer.ggml.add_bos_token").value_or(true));
  CHECK(CheckLlamaSpmVectors(*tokenizer) == 46);
  CHECK(tokenizer->Encode("", false).empty());
  CHECK(tokenizer->Encode("", true) == std::vector<int32_t>{1});
}

TEST_CASE("llama-spm test vectors through the Llama 2 tokenizer.model") {
  const std::string path = FindAsset("models/llama2-tokenizer/tokenizer.model");
  if (path.empty()) {
    MESSAGE("skipped: models/llama2-tokenizer/tokenizer.model not found");
    return;
  }
  const auto tokenizer = Tokenizer::FromFile(path);
  CHECK(tokenizer->n_vocab() == 32000);
  CHECK(tokenizer->bos_id() == 1);
  CHECK(tokenizer->eos_id() == 2);
  CHECK(tokenizer->add_bos());
  CHECK(CheckLlamaSpmVectors(*tokenizer) == 46);
}

TEST_CASE("the GGUF-built model and the Llama 2 tokenizer.model agree piece by piece") {
  const std::string gguf_path = FindAsset("models/vocab/ggml-vocab-llama-spm.gguf");
  const std::string model_path = FindAsset("models/llama2-tokenizer/tokenizer.model");
  if (gguf_path.empty() || model_path.empty()) {
    MESSAGE("skipped: Llama vocabulary files not found");
    return;
  }
  const auto from_gguf = Tokenizer::FromGguf(*GgufFile::Open(gguf_path));
  const auto from_file = Tokenizer::FromFile(model_path);
  REQUIRE(from_gguf->n_vocab() == from_file->n_vocab());
  for (int32_t id = 0; id < from_file->n_vocab(); ++id) {
    CAPTURE(id);
    REQUIRE(from_gguf->IdToPiece(id) == from_file->IdToPiece(id));
    REQUIRE(from_gguf->TokenToPiece(id) == from_file->TokenToPiece(id));
  }
  CHECK(from_file->IdToPiece(13) == "<0x0A>");
  CHECK(from_file->TokenToPiece(13) == "\n");
  CHECK(from_file->IdToPiece(15043) == "\xE2\x96\x81Hello");
  CHECK(from_file->TokenToPiece(15043) == " Hello");
  CHECK(from_file->TokenToPiece(1) == "");                // <s>, control
  CHECK(from_file->TokenToPiece(0) == " \xE2\x81\x87 ");  // <unk>: sentencepiece's unk_surface
  CHECK(from_file->TokenToPiece(-1) == "");
  CHECK(from_file->TokenToPiece(32000) == "");
  CHECK(from_file->IdToPiece(32000) == "");
}

TEST_CASE("docs-llama-7m: tokenizer.model and GGUF metadata give identical ids") {
  const std::string model_path = FindAsset("models/docs-llama-7m/tokenizer.model");
  const std::string gguf_path = FindAsset("models/docs-llama-7m/model.f32.gguf");
  const std::string wiki_path = FindAsset("data/wikitext-2-raw/wiki.test.raw");
  const std::string stories_path = FindAsset("data/tinystories/tinystories_sample.txt");
  if (model_path.empty() || gguf_path.empty() || wiki_path.empty() || stories_path.empty()) {
    MESSAGE("skipped: docs-llama-7m or evaluation text not found");
    return;
  }
  const auto from_file = Tokenizer::FromFile(model_path);
  const auto from_gguf = Tokenizer::FromGguf(*GgufFile::Open(gguf_path));
  CHECK(from_file->n_vocab() == 4096);
  CHECK(from_gguf->n_vocab() == 4096);
  CHECK(from_gguf->bos_id() == from_file->bos_id());
  CHECK(from_gguf->eos_id() == from_file->eos_id());

  std::string wiki = test::ReadFile(wiki_path);
  wiki.resize(wiki.rfind('\n', 20000) + 1);  // whole lines, so no UTF-8 character is cut
  const std::string stories = test::ReadFile(stories_path);
  for (const std::string* text : std::vector<const std::string*>{&wiki, &stories}) {
    const std::vector<int32_t> ids = from_file->Encode(*text, true);
    CHECK(ids.size() > text->size() / 8);  // really tokenized, not a handful of <unk>
    CHECK(from_gguf->Encode(*text, true) == ids);
    CHECK(from_file->Decode(ids) == *text);
    CHECK(from_gguf->Decode(ids) == *text);
  }
}

TEST_CASE("stories260K tok512.model") {
  const std::string path = FindAsset("models/stories260K/tok512.model");
  if (path.empty()) {
    MESSAGE("skipped: models/stories260K/tok512.model not found");
    return;
  }
  const auto tokenizer = Tokenizer::FromFile(path);
  CHECK(tokenizer->n_vocab() == 512);
  CHECK(tokenizer->bos_id() == 1);
  CHECK(tokenizer->eos_id() == 2);
  const std::string text = "Once upon a time, there was a little girl named Lily. She loved to play outside.";
  // Computed once with spm_encode --model=tok512.model --output_format=id.
  const std::vector<int32_t> expected = {1,   403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395,
                                         317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 426};
  const std::vector<int32_t> ids = tokenizer->Encode(text, true);
  CHECK(ids == expected);
  CHECK(tokenizer->Decode(ids) == text);
  CHECK(tokenizer->IdToPiece(403) == "\xE2\x96\x81Once");
}

TEST_CASE("streaming: TokenToPiece over Encode(text, false) gives ' ' + text") {
  // What holds, for valid UTF-8 and a vocabulary whose normalizer keeps whitespace (Llama 2,
  // docs-llama-7m, every GGUF SPM vocabulary): the dummy prefix adds exactly one space in
  // front, byte-fallback tokens deliver raw bytes, and nothing else changes. Decode drops
  // that space again. A BOS in front streams as "".
  std::vector<std::pair<std::string, std::unique_ptr<Tokenizer>>> tokenizers;
  if (const std::string p = FindAsset("models/llama2-tokenizer/tokenizer.model"); !p.empty()) {
    tokenizers.emplace_back(p, Tokenizer::FromFile(p));
  }
  if (const std::string p = FindAsset("models/vocab/ggml-vocab-llama-spm.gguf"); !p.empty()) {
    tokenizers.emplace_back(p, Tokenizer::FromGguf(*GgufFile::Open(p)));
  }
  if (const std::string p = FindAsset("models/docs-llama-7m/tokenizer.model"); !p.empty()) {
    tokenizers.emplace_back(p, Tokenizer::FromFile(p));
  }
  if (tokenizers.empty()) {
    MESSAGE("skipped: no SPM tokenizer found");
    return;
  }
  for (const auto& [name, tokenizer] : tokenizers) {
    CAPTURE(name);
    size_t n_byte_tokens = 0;
    for (const std::string& text : kStreamingTexts) {
      CAPTURE(text);
      const std::vector<int32_t> ids = tokenizer->Encode(text, true);
      std::string streamed;
      for (const int32_t id : ids) {
        streamed += tokenizer->TokenToPiece(id);
        n_byte_tokens += tokenizer->IdToPiece(id).starts_with("<0x") ? 1u : 0u;
      }
      CHECK(streamed == " " + text);
      CHECK(tokenizer->Decode(ids) == text);
    }
    CHECK(n_byte_tokens > 10);  // byte fallback really happened
  }
}

TEST_CASE("errors name the file and the problem") {
  const std::string missing = test::ScratchDir() + "/no-such-tokenizer.model";
  std::string message = ErrorMessage([&] { Tokenizer::FromFile(missing); });
  CHECK(StartsWith(message, missing + ": "));
  CHECK(Contains(message, "No such file"));

  const std::string not_model =
      test::WriteScratchFile("not-a-model.txt", "This is plain text, not a protobuf.\n");
  message = ErrorMessage([&] { Tokenizer::FromFile(not_model); });
  CHECK(message == not_model + ": not a sentencepiece model (protobuf parse failed)");

  const std::string empty = test::WriteScratchFile("empty.model", "");
  message = ErrorMessage([&] { Tokenizer::FromFile(empty); });
  CHECK(message == empty + ": not a sentencepiece model: empty file");

  message = ErrorMessage([&] { Tokenizer::FromFile(test::ScratchDir()); });
  CHECK(message == test::ScratchDir() + ": cannot open tokenizer model: is a directory");

  if (const std::string gpt2 = FindAsset("models/vocab/ggml-vocab-gpt-2.gguf"); !gpt2.empty()) {
    message = ErrorMessage([&] { Tokenizer::FromFile(gpt2); });
    CHECK(message == gpt2 + ": not a sentencepiece model: a GGUF file (its vocabulary loads with FromGguf)");
  } else {
    MESSAGE("skipped: models/vocab/ggml-vocab-gpt-2.gguf not found");
  }
}

TEST_CASE("GGUF tokenizer metadata errors") {
  MiniGguf gguf;
  std::string expected;
  SUBCASE("no tokenizer.ggml.model") { expected = "mini.gguf: missing required key 'tokenizer.ggml.model'"; }
  SUBCASE("unknown tokenizer.ggml.model") {
    gguf.String("tokenizer.ggml.model", "t5");
    expected =
        "mini.gguf: tokenizer.ggml.model 't5' is not supported (only 'llama', sentencepiece, and 'gpt2', "
        "byte-level BPE)";
  }
  SUBCASE("no tokens") {
    gguf.String("tokenizer.ggml.model", "llama");
    expected = "mini.gguf: missing required key 'tokenizer.ggml.tokens'";
  }
  SUBCASE("scores of the wrong length") {
    gguf.String("tokenizer.ggml.model", "llama");
    gguf.StringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a"});
    gguf.F32Array("tokenizer.ggml.scores", {0, 0, 0});
    expected = "mini.gguf: 3 token scores for 4 tokens";
  }
  SUBCASE("gpt2 without a pre-tokenizer") {
    gguf.String("tokenizer.ggml.model", "gpt2");
    expected = "mini.gguf: missing required key 'tokenizer.ggml.pre' (the BPE pre-tokenizer)";
  }
  SUBCASE("gpt2 with an unknown pre-tokenizer") {
    gguf.String("tokenizer.ggml.model", "gpt2");
    gguf.String("tokenizer.ggml.pre", "tekken");
    expected = "mini.gguf: tokenizer.ggml.pre 'tekken' is not supported (known: " + PreTokenizer::Names() + ")";
    CHECK(PreTokenizer::Names().starts_with("'gpt-2', 'phi-2', 'mpt', 'olmo', 'llama-bpe'"));
  }
  SUBCASE("gpt2 without tokens") {
    gguf.String("tokenizer.ggml.model", "gpt2");
    gguf.String("tokenizer.ggml.pre", "gpt-2");
    expected = "mini.gguf: missing required key 'tokenizer.ggml.tokens'";
  }
  SUBCASE("gpt2 without merges") {
    gguf.String("tokenizer.ggml.model", "gpt2");
    gguf.String("tokenizer.ggml.pre", "gpt-2");
    gguf.StringArray("tokenizer.ggml.tokens", {"a", "b", "ab"});
    expected = "mini.gguf: missing required key 'tokenizer.ggml.merges'";
  }
  SUBCASE("gpt2 with a malformed merge") {
    gguf.String("tokenizer.ggml.model", "gpt2");
    gguf.String("tokenizer.ggml.pre", "gpt-2");
    gguf.StringArray("tokenizer.ggml.tokens", {"a", "b", "ab"});
    gguf.StringArray("tokenizer.ggml.merges", {"a b", "ab"});
    expected = "mini.gguf: BPE merge 1 'ab' is not two tokens separated by a space";
  }
  const std::string bytes = gguf.Bytes();
  const std::string message = ErrorMessage(
      [&] { Tokenizer::FromGguf(*GgufFile::FromMemory(bytes.data(), bytes.size(), "mini.gguf")); });
  CHECK(message == expected);
}

TEST_CASE("FromSpmVocab validates the vocabulary") {
  SpmVocab vocab;
  vocab.tokens = {"<unk>",
                  "<s>",
                  "</s>",
                  "\xE2\x96\x81",
                  "a",
                  "b",
                  "\xE2\x96\x81"
                  "a",
                  "ab"};
  vocab.scores = {0, 0, 0, -1, -2, -3, -4, -0.5f};  // "ab" merges before "▁a"
  vocab.types = {2, 3, 3, 1, 1, 1, 1, 1};

  SUBCASE("a small valid vocabulary works without byte tokens") {
    const auto tokenizer = Tokenizer::FromSpmVocab(vocab, "tiny");
    CHECK(tokenizer->n_vocab() == 8);
    CHECK(tokenizer->Encode("a ab", true) == std::vector<int32_t>{1, 6, 3, 7});
    CHECK(tokenizer->Encode("c", false) == std::vector<int32_t>{3, 0});  // no byte fallback: <unk>
    CHECK(tokenizer->Decode({1, 6, 3, 7, 2}) == "a ab");
  }
  SUBCASE("missing types and scores default to normal / 0, unk typed by id") {
    vocab.types.clear();
    vocab.scores.clear();
    const auto tokenizer = Tokenizer::FromSpmVocab(vocab, "tiny");
    CHECK(tokenizer->IdToPiece(0) == "<unk>");
    CHECK(tokenizer->Decode(tokenizer->Encode("ab a", false)) == "ab a");
  }
  SUBCASE("no space prefix") {
    vocab.add_space_prefix = false;
    CHECK(Tokenizer::FromSpmVocab(vocab, "tiny")->Encode("a", false) == std::vector<int32_t>{4});
  }
  SUBCASE("errors") {
    std::string expected;
    SUBCASE("types") {
      vocab.types.pop_back();
      expected = "tiny: 7 token types for 8 tokens";
    }
    SUBCASE("invalid type") {
      vocab.types[4] = 9;
      expected = "tiny: token 4 has an invalid token type";
    }
    SUBCASE("bos") {
      vocab.bos_id = 8;
      expected = "tiny: BOS id 8 is out of range for 8 tokens";
    }
    SUBCASE("empty") {
      vocab.tokens.clear();
      expected = "tiny: the SPM vocabulary has no tokens";
    }
    SUBCASE("duplicate piece (sentencepiece's own check)") {
      vocab.tokens[5] = "a";
      expected = "tiny: cannot build a sentencepiece model from the vocabulary: ";
    }
    const std::string message = ErrorMessage([&] { Tokenizer::FromSpmVocab(vocab, "tiny"); });
    CHECK(StartsWith(message, expected));
    CHECK(message.size() >= expected.size());
  }
}

TEST_CASE("a GGUF gpt2 vocabulary without BOS keys loads") {
  MiniGguf gguf;
  gguf.String("tokenizer.ggml.model", "gpt2");
  gguf.String("tokenizer.ggml.pre", "gpt-2");
  gguf.StringArray("tokenizer.ggml.tokens", {"a", "b", "ab", "\xC4\xA0", "\xC4\xA0" "ab"});  // Ġ = ' '
  gguf.StringArray("tokenizer.ggml.merges", {"a b", "\xC4\xA0 ab"});
  const std::string bytes = gguf.Bytes();
  const auto tokenizer = Tokenizer::FromGguf(*GgufFile::FromMemory(bytes.data(), bytes.size(), "mini.gguf"));
  CHECK(tokenizer->n_vocab() == 5);
  CHECK(tokenizer->bos_id() == -1);
  CHECK(tokenizer->eos_id() == -1);
  CHECK_FALSE(tokenizer->add_bos());
  CHECK(tokenizer->Encode("ab ab", true) == std::vector<int32_t>{2, 4});  // no BOS to add
  CHECK(tokenizer->Decode({2, 4}) == "ab ab");
}

TEST_CASE("byte-level BPE on a tiny vocabulary") {
  BpeVocab vocab;
  const std::string g = "\xC4\xA0";  // 'Ġ', the byte character of ' '
  vocab.tokens = {"a", "b", "c", g, "ab", "bc", g + "ab", "aa", "<|end|>", "<x>"};
  vocab.merges = {"b c", "a b", g + " ab", "a a"};
  vocab.types = {1, 1, 1, 1, 1, 1, 1, 1, 3, 4};  // <|end|> control, <x> user-defined

  SUBCASE("merges go by rank, then leftmost") {
    const auto tokenizer = Tokenizer::FromBpeVocab(vocab, "tiny");
    CHECK(tokenizer->n_vocab() == 10);
    CHECK(tokenizer->Encode("abc", false) == std::vector<int32_t>{0, 5});  // "b c" outranks "a b"
    CHECK(tokenizer->Encode("ab", false) == std::vector<int32_t>{4});
    CHECK(tokenizer->Encode(" ab", false) == std::vector<int32_t>{6});
    CHECK(tokenizer->Encode("aaa", false) == std::vector<int32_t>{7, 0});
    CHECK(tokenizer->Encode("", false).empty());
  }
  SUBCASE("user-defined tokens are cut out, control tokens are plain text") {
    const auto tokenizer = Tokenizer::FromBpeVocab(vocab, "tiny");
    CHECK(tokenizer->Encode("a<x>b<x>", false) == std::vector<int32_t>{0, 9, 1, 9});
    // '<', '|', ... are not in this vocabulary, so the text of <|end|> leaves no token at all.
    CHECK(tokenizer->Encode("a<|end|>", false) == std::vector<int32_t>{0});
  }
  SUBCASE("pieces") {
    const auto tokenizer = Tokenizer::FromBpeVocab(vocab, "tiny");
    CHECK(tokenizer->IdToPiece(6) == g + "ab");
    CHECK(tokenizer->TokenToPiece(6) == " ab");
    CHECK(tokenizer->TokenToPiece(8) == "");  // control
    CHECK(tokenizer->IdToPiece(8) == "<|end|>");
    CHECK(tokenizer->TokenToPiece(9) == "<x>");
    CHECK(tokenizer->TokenToPiece(10) == "");
    CHECK(tokenizer->TokenToPiece(-1) == "");
    CHECK(tokenizer->Decode({6, 8, 9, 10, -5, 2}) == " ab<x>c");
  }
  SUBCASE("BOS") {
    vocab.bos_id = 8;
    vocab.eos_id = 8;
    vocab.add_bos = true;
    const auto tokenizer = Tokenizer::FromBpeVocab(vocab, "tiny");
    CHECK(tokenizer->add_bos());
    CHECK(tokenizer->bos_id() == 8);
    CHECK(tokenizer->Encode("ab", true) == std::vector<int32_t>{8, 4});
    CHECK(tokenizer->Encode("", true) == std::vector<int32_t>{8});
    CHECK(tokenizer->Decode({8, 4, 8}) == "ab");
  }
  SUBCASE("errors") {
    std::string expected;
    SUBCASE("empty") {
      vocab.tokens.clear();
      expected = "tiny: the BPE vocabulary has no tokens";
    }
    SUBCASE("types") {
      vocab.types.pop_back();
      expected = "tiny: 9 token types for 10 tokens";
    }
    SUBCASE("invalid type") {
      vocab.types[4] = 7;
      expected = "tiny: token 4 has an invalid token type";
    }
    SUBCASE("merge without a space") {
      vocab.merges[2] = g + "ab";
      expected = "tiny: BPE merge 2 '" + g + "ab' is not two tokens separated by a space";
    }
    SUBCASE("merge with nothing after the space") {
      vocab.merges[0] = "b ";
      expected = "tiny: BPE merge 0 'b ' is not two tokens separated by a space";
    }
    SUBCASE("bos") {
      vocab.bos_id = 10;
      expected = "tiny: BOS id 10 is out of range for 10 tokens";
    }
    SUBCASE("eos") {
      vocab.eos_id = -2;
      expected = "tiny: EOS id -2 is out of range for 10 tokens";
    }
    CHECK(ErrorMessage([&] { Tokenizer::FromBpeVocab(vocab, "tiny"); }) == expected);
  }
}

TEST_CASE("gpt-2: direct checks") {
  const std::string path = FindAsset("models/vocab/ggml-vocab-gpt-2.gguf");
  if (path.empty()) {
    MESSAGE("skipped: models/vocab/ggml-vocab-gpt-2.gguf not found");
    return;
  }
  const auto tokenizer = Tokenizer::FromGguf(*GgufFile::Open(path));
  using Ids = std::vector<int32_t>;
  CHECK(tokenizer->Encode(" Hello world", false) == Ids{18435, 995});
  CHECK(tokenizer->Encode("Hello world", false) == Ids{15496, 995});
  // Computed with an independent reference: OpenAI's GPT-2 encoder algorithm in Python (the
  // regex module, gpt2 vocab.json / merges.txt). Contractions (and "'T", which is not one),
  // numbers, runs of spaces and newlines, a tab, an emoji, CJK, trailing spaces.
  const std::string mixed =
      "I'm sure it's 2024... We've got 3 apples & 12,345 pears!\n\n  Tabs\there   and \xF0\x9F\xA6\x99 llamas, "
      "\xE4\xB8\xAD\xE6\x96\x87 too. DON'T shout  ";
  const Ids mixed_ids = {40,   1101, 1654, 340,   338,   48609, 986,   775,  1053, 1392, 513,   22514,
                         1222, 1105, 11,   27712, 279,   4127,  0,     628,  220,  309,  8937,  197,
                         1456, 220,  220,  290,   12520, 99,    247,   32660, 17485, 11,  220,  40792,
                         23877, 229, 1165, 13,    23917, 6,     51,    9191, 220,  220};
  CHECK(tokenizer->Encode(mixed, false) == mixed_ids);
  CHECK(tokenizer->Decode(mixed_ids) == mixed);
  // parse_special off: the text of <|endoftext|> is not the control token.
  CHECK(tokenizer->Encode("<|endoftext|>", false) == Ids{27, 91, 437, 1659, 5239, 91, 29});
  CHECK(tokenizer->Encode(std::string("a\0b", 3), false) == Ids{64, 188, 65});  // NUL is byte character U+0100
  CHECK(tokenizer->Encode("\r\n", false) == Ids{201, 198});
  CHECK(tokenizer->Encode("e\xCC\x81", false) == Ids{68, 136, 223});  // a combining mark is not \p{L}
  // An invalid byte tokenizes as U+FFFD, as in llama.cpp.
  CHECK(tokenizer->Encode("a\xFF" "b", false) == Ids{64, 4210, 65});
  CHECK(tokenizer->Encode("a\xEF\xBF\xBD" "b", false) == Ids{64, 4210, 65});

  CHECK(tokenizer->IdToPiece(18435) == "\xC4\xA0Hello");
  CHECK(tokenizer->TokenToPiece(18435) == " Hello");
  CHECK(tokenizer->TokenToPiece(198) == "\n");
  CHECK(tokenizer->TokenToPiece(50256) == "");  // <|endoftext|>, control
  CHECK(tokenizer->IdToPiece(50256) == "<|endoftext|>");
  CHECK(tokenizer->TokenToPiece(50257) == "");

  for (const std::string& text : kStreamingTexts) {
    CAPTURE(text);
    const Ids ids = tokenizer->Encode(text, false);
    std::string streamed;
    for (const int32_t id : ids) streamed += tokenizer->TokenToPiece(id);
    CHECK(streamed == text);
    CHECK(tokenizer->Decode(ids) == text);
  }
}

// The generated text streams out whole characters only (run-model, the C API's generate).
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

std::string StreamAll(const std::vector<std::string>& pieces) {
  Utf8Stream stream;
  std::string out;
  for (const std::string& p : pieces) out += stream.Push(p);
  return out + stream.Flush();
}

TEST_CASE("UTF-8 streaming holds split characters and replaces invalid bytes") {
  CHECK(StreamAll({"h", "\xC3", "\xA9", "!"}) == "h\xC3\xA9!");              // é over two tokens
  CHECK(StreamAll({"\xF0\x9F", "\xA6", "\x99"}) == "\xF0\x9F\xA6\x99");      // 🦙 over three
  Utf8Stream stream;
  CHECK(stream.Push("\xE2\x82") == "");                                      // held back
  CHECK(stream.Push("\xAC") == "\xE2\x82\xAC");
  CHECK(StreamAll({"\xE3", "a"}) == kReplacement + "a");                     // cut short by ASCII
  CHECK(StreamAll({"\xF0\x9F", "\xE2\x82\xAC"}) == kReplacement + "\xE2\x82\xAC");  // by a new lead
  CHECK(StreamAll({"\x80\x80x"}) == kReplacement + kReplacement + "x");      // stray continuations
  CHECK(StreamAll({"\xC0\xAF"}) == kReplacement + kReplacement);             // never-valid lead 0xC0
  CHECK(StreamAll({"\xED\xA0\x80"}) == kReplacement);                        // a UTF-16 surrogate
  CHECK(StreamAll({"ab\xE2"}) == "ab" + kReplacement);                       // unfinished at the end
}

}  // namespace

}  // namespace ingot

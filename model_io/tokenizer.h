// Tokenizer: sentencepiece, loaded from a tokenizer.model file or from the SPM vocabulary
// stored in GGUF metadata (tokenizer.ggml.model = "llama"), which is turned into a
// sentencepiece ModelProto in memory so one library serves both; or byte-level BPE
// (tokenizer.ggml.model = "gpt2", model_io/bpe.h), our own code.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ingot {

class GgufFile;
struct BpeVocab;
struct ChatText;

// An SPM vocabulary as GGUF stores it (tokenizer.ggml.*).
// scores and types may be left empty (all 0.0 / all normal, as llama.cpp assumes when the
// keys are absent); otherwise they must be as long as tokens. An id of -1 means none.
struct SpmVocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;  // llama.cpp token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
  int32_t bos_id = 1;
  int32_t eos_id = 2;
  int32_t unk_id = 0;
  int32_t pad_id = -1;
  bool add_bos = true;
  bool add_space_prefix = true;  // tokenizer.ggml.add_space_prefix: the leading "▁" dummy prefix
};

class Tokenizer {
 public:
  // A sentencepiece model file. Throws ingot::Error("<path>: ...").
  static std::unique_ptr<Tokenizer> FromFile(const std::string& path);
  // The bytes of a sentencepiece model file (e.g. kept inside an ingot GGUF); source_name is
  // used in messages.
  static std::unique_ptr<Tokenizer> FromSerializedModel(std::string_view bytes, const std::string& source_name);
  // The tokenizer.ggml.* keys of a GGUF file; Error naming the file when they are missing,
  // inconsistent, or of an unsupported tokenizer.ggml.model ('llama' and 'gpt2' are
  // supported) or tokenizer.ggml.pre (for 'gpt2': the names model_io/pretokenizer.h knows).
  static std::unique_ptr<Tokenizer> FromGguf(const GgufFile& gguf);
  static std::unique_ptr<Tokenizer> FromSpmVocab(const SpmVocab& vocab, const std::string& source_name);
  static std::unique_ptr<Tokenizer> FromBpeVocab(const BpeVocab& vocab, const std::string& source_name);
  ~Tokenizer();

  // Token ids of text, with BOS first when add_bos (and the vocabulary has one). Empty text
  // gives no ids. Matches llama.cpp's tokenization with parse_special off (control tokens
  // written in the text are plain text).
  // SPM: a leading "▁" dummy prefix, spaces kept as they are, characters missing from the
  // vocabulary as <0xNN> byte tokens. One known difference: sentencepiece turns each invalid
  // UTF-8 byte into U+FFFD first, where llama.cpp would emit the byte itself.
  // BPE (model_io/bpe.h): no prefix, every byte representable, user-defined tokens in the
  // text cut out as themselves; invalid UTF-8 bytes become U+FFFD, as in llama.cpp.
  std::vector<int32_t> Encode(std::string_view text, bool add_bos) const;
  // Token ids of a formatted conversation (model_io/chat_template.h): in the template's text,
  // control and user-defined tokens written by name become those tokens (longest first), and
  // the text between them is encoded as Encode does; message content is never searched for
  // them, so typed control-token text stays plain text. BOS first when add_bos. With
  // rstrip_specials (Phi-3, whose special tokens strip the whitespace after them in its own
  // tokenizer and in llama.cpp), the whitespace after each special token but <s>, <unk> and
  // <|endoftext|> is dropped.
  std::vector<int32_t> EncodeChat(const ChatText& chat, bool add_bos, bool rstrip_specials = false) const;
  // The id of the control or user-defined token written `text` ("<|im_end|>"), or -1.
  int32_t FindSpecial(std::string_view text) const;
  // The whole text of ids. SPM: as sentencepiece decodes it: control tokens dropped, the
  // dummy-prefix space of the first piece removed, byte tokens joined into UTF-8 (invalid
  // sequences become U+FFFD). BPE: the TokenToPiece bytes joined, nothing cleaned up (no
  // clean_up_tokenization_spaces), so Decode(Encode(text, ...)) == text for valid UTF-8.
  // Out-of-range ids are skipped.
  std::string Decode(const std::vector<int32_t>& ids) const;
  // The bytes one token adds when text is streamed token by token: "▁" becomes ' ',
  // <0xNN> becomes that byte (so a UTF-8 character may arrive over several tokens),
  // control tokens give "", the unknown token gives the model's unk surface (" ⁇ ", as
  // Decode prints it; llama.cpp prints "▅" instead). Out-of-range ids give "".
  // For valid UTF-8 and a whitespace-keeping vocabulary (all GGUF SPM vocabularies, Llama 2),
  // concatenating TokenToPiece over Encode(text, add_bos) gives exactly " " + text.
  // BPE: the bytes the token stands for ("Ġthe" gives " the"; a UTF-8 character may also
  // arrive over several tokens), user-defined tokens as they are, control tokens "";
  // for valid UTF-8, concatenating over Encode(text, add_bos) gives exactly text.
  std::string TokenToPiece(int32_t id) const;
  // The piece as stored in the vocabulary (what tokenize prints), e.g. "▁Hello", "<0x0A>",
  // or in byte characters for BPE, "ĠHello".
  std::string IdToPiece(int32_t id) const;

  int32_t n_vocab() const;
  int32_t bos_id() const;  // -1 when the vocabulary has none
  int32_t eos_id() const;
  bool add_bos() const;  // what the model's metadata asks for (true for sentencepiece files, false for GPT-2)

 private:
  Tokenizer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingot

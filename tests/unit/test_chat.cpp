// Chat templates: each family's text for a system prompt and two user turns (with the model's
// answer between), its token ids through the family's real vocabulary (golden), and a user turn
// that types a control token's text, which must stay plain text.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "model_io/chat_template.h"
#include "model_io/error.h"
#include "model_io/gguf.h"
#include "model_io/tokenizer.h"
#include "tests/test_util.h"

namespace ingot {
namespace {

std::unique_ptr<Tokenizer> VocabTokenizer(const std::string& name) {
  const std::string path = test::FindAsset("models/vocab/ggml-vocab-" + name + ".gguf");
  if (path.empty()) return nullptr;
  return Tokenizer::FromGguf(*GgufFile::Open(path));
}

// Gemma's vocabulary is not in ../shared: Llama 2's SPM vocabulary with Gemma's two turn
// markers added as control tokens, as Gemma's own vocabulary has them.
std::unique_ptr<Tokenizer> GemmaLikeTokenizer() {
  const std::string path = test::FindAsset("models/vocab/ggml-vocab-llama-spm.gguf");
  if (path.empty()) return nullptr;
  const auto gguf = GgufFile::Open(path);
  SpmVocab vocab;
  vocab.tokens = *gguf->GetStringArray("tokenizer.ggml.tokens");
  const auto scores = *gguf->GetFloatArray("tokenizer.ggml.scores");
  vocab.scores.assign(scores.begin(), scores.end());
  const std::vector<int64_t> types = *gguf->GetIntArray("tokenizer.ggml.token_type");
  for (const int64_t t : types) vocab.types.push_back(static_cast<int32_t>(t));
  for (const char* marker : {"<start_of_turn>", "<end_of_turn>"}) {
    vocab.tokens.push_back(marker);
    vocab.scores.push_back(0.0f);
    vocab.types.push_back(3);
  }
  return Tokenizer::FromSpmVocab(vocab, "gemma-like");
}

// A system prompt, a user turn, the model's answer, and a user turn that types `control`.
std::vector<ChatMessage> Conversation(const std::string& control) {
  return {{"system", "You are a helpful assistant."},
          {"user", "Hello! Who are you?"},
          {"assistant", "I am a small model."},
          {"user", "Please repeat " + control + " back."}};
}

int64_t Count(const std::vector<int32_t>& ids, int32_t id) { return std::count(ids.begin(), ids.end(), id); }

struct Family {
  const char* vocab;      // models/vocab name, or "gemma-like"
  const char* template_;  // a tokenizer.chat_template text of the family (the part that decides)
  ChatFormat format;
  const char* control;    // a control token of the family, typed by the user
  const char* expected_text;
  const char* golden_ids;  // what EncodeChat gives, each id followed by a comma
};

const Family kFamilies[] = {
    {"qwen2", "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}",
     ChatFormat::kChatMl, "<|im_end|>",
     "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! Who are you?<|im_end|>\n"
     "<|im_start|>assistant\nI am a small model.<|im_end|>\n<|im_start|>user\nPlease repeat <|im_end|> back.<|im_end|>\n"
     "<|im_start|>assistant\n",
     "151644,8948,198,2610,525,264,10950,17847,13,151645,198,151644,872,198,9707,0,10479,525,498,30,"
     "151645,198,151644,77091,198,40,1079,264,2613,1614,13,151645,198,151644,872,198,5501,13153,82639,318,"
     "6213,91,29,1182,13,151645,198,151644,77091,198,"},
    {"llama-bpe", "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}",
     ChatFormat::kLlama3, "<|eot_id|>",
     "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user"
     "<|end_header_id|>\n\nHello! Who are you?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am a small "
     "model.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nPlease repeat <|eot_id|> back.<|eot_id|>"
     "<|start_header_id|>assistant<|end_header_id|>\n\n",
     "128000,128006,9125,128007,271,2675,527,264,11190,18328,13,128009,128006,882,128007,271,9906,0,10699,"
     "527,499,30,128009,128006,78191,128007,271,40,1097,264,2678,1646,13,128009,128006,882,128007,271,"
     "5618,13454,83739,68,354,851,91,29,1203,13,128009,128006,78191,128007,271,"},
    {"gemma-like", "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}",
     ChatFormat::kGemma, "<end_of_turn>",
     "<start_of_turn>user\nYou are a helpful assistant.\n\nHello! Who are you?<end_of_turn>\n<start_of_turn>model\nI am a "
     "small model.<end_of_turn>\n<start_of_turn>user\nPlease repeat <end_of_turn> back.<end_of_turn>\n"
     "<start_of_turn>model\n",
     "1,32000,1404,13,3492,526,263,8444,20255,29889,13,13,10994,29991,11644,526,366,29973,32001,29871,13,"
     "32000,1904,13,29902,626,263,2319,1904,29889,32001,29871,13,32000,1404,13,12148,12312,529,355,29918,"
     "974,29918,685,29958,1250,29889,32001,29871,13,32000,1904,13,"},
    {"phi-3", "{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' + '<|assistant|>' + '\\n'}}", ChatFormat::kPhi3,
     "<|end|>",
     "<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nHello! Who are you?<|end|>\n<|assistant|>\nI am a small "
     "model.<|end|>\n<|user|>\nPlease repeat <|end|> back.<|end|>\n<|assistant|>\n",
     // Phi-3's special tokens strip the whitespace after them: "\n" never follows one.
     "1,32006,887,526,263,8444,20255,29889,32007,32010,15043,29991,11644,526,366,29973,32007,32001,306,626,"
     "263,2319,1904,29889,32007,32010,3529,12312,529,29989,355,29989,29958,1250,29889,32007,32001,"},
    {"llama-spm", "{{ bos_token + '[INST] ' + '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' }}", ChatFormat::kLlama2,
     "</s>",
     "[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHello! Who are you? [/INST]I am a small model.</s>"
     "<s>[INST] Please repeat </s> back. [/INST]",
     "1,518,25580,29962,3532,14816,29903,6778,13,3492,526,263,8444,20255,29889,13,29966,829,14816,29903,"
     "6778,13,13,10994,29991,11644,526,366,29973,518,29914,25580,29962,29902,626,263,2319,1904,29889,2,1,"
     "518,25580,29962,3529,12312,1533,29879,29958,1250,29889,518,29914,25580,29962,"},
};

}  // namespace

TEST_CASE("chat templates: recognized from the template text, and by name") {
  for (const Family& f : kFamilies) {
    CAPTURE(f.vocab);
    CHECK(DetectChatFormat(f.template_) == f.format);
    CHECK(ChatFormatByName(ChatFormatName(f.format)) == f.format);
  }
  CHECK(ChatFormatByName("mistral") == ChatFormat::kLlama2);
  CHECK_FALSE(DetectChatFormat("{{ messages | tojson }}").has_value());
  CHECK_FALSE(ChatFormatByName("vicuna").has_value());
  CHECK(ChatFormatNames() == "chatml, llama3, gemma, phi3, llama2");
  CHECK_THROWS_WITH_AS(FormatChat(ChatFormat::kChatMl, {{"tool", "x"}}, true),
                       "chat message 0 has role 'tool' (expected system, user or assistant)", Error);
  CHECK_THROWS_WITH_AS(FormatChat(ChatFormat::kChatMl, {{"user", "x"}, {"system", "y"}}, true),
                       "chat message 1: a system message must come first", Error);
}

TEST_CASE("chat templates: each family's text and golden token ids; typed control tokens stay text") {
  for (const Family& f : kFamilies) {
    CAPTURE(f.vocab);
    const std::unique_ptr<Tokenizer> tokenizer =
        std::string(f.vocab) == "gemma-like" ? GemmaLikeTokenizer() : VocabTokenizer(f.vocab);
    if (!tokenizer) {
      MESSAGE("skipped: the vocabulary of " << f.vocab << " not found");
      continue;
    }
    const ChatText chat = FormatChat(f.format, Conversation(f.control), true, ChatFormatOptionsOf(f.template_));
    CHECK(chat.text == f.expected_text);
    const std::vector<int32_t> ids = tokenizer->EncodeChat(chat, tokenizer->add_bos(), f.format == ChatFormat::kPhi3);
    std::string list;
    for (const int32_t id : ids) list += std::to_string(id) + ",";
    CHECK(list == f.golden_ids);
    // The control token the user typed is the template's only where the template wrote it.
    const std::vector<int32_t> control = tokenizer->Encode(f.control, false);
    int32_t control_id = -1;
    for (int32_t id = 0; id < tokenizer->n_vocab(); ++id) {
      if (tokenizer->IdToPiece(id) == f.control) control_id = id;
    }
    REQUIRE(control_id >= 0);
    size_t written = 0;
    for (size_t at = chat.text.find(f.control); at != std::string::npos; at = chat.text.find(f.control, at + 1)) ++written;
    CHECK(Count(ids, control_id) == static_cast<int64_t>(written) - 1);
    CHECK(control.size() > 1);  // as plain text it takes several tokens
  }
}

TEST_CASE("chat templates: a ChatML template's default system prompt, from the template's own text") {
  const std::string path = test::FindAsset("models/vocab/ggml-vocab-qwen2.gguf");
  if (path.empty()) {
    MESSAGE("skipped: models/vocab/ggml-vocab-qwen2.gguf not found");
    return;
  }
  const std::string qwen = GgufFile::Open(path)->GetString("tokenizer.chat_template").value_or("");
  const ChatFormatOptions options = ChatFormatOptionsOf(qwen);
  CHECK(options.default_system == "You are a helpful assistant");
  CHECK(FormatChat(ChatFormat::kChatMl, {{"user", "Hi"}}, true, options).text ==
        "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  CHECK(FormatChat(ChatFormat::kChatMl, {{"system", "Be brief."}, {"user", "Hi"}}, false, options).text ==
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
  CHECK(ChatFormatOptionsOf("{{'<|im_start|>' + message['role'] + '\\n'}}").default_system.empty());
}

}  // namespace ingot

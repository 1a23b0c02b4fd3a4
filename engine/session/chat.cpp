#include "engine/session/chat.h"

#include <optional>
#include <string>

#include "model_io/error.h"
#include "model_io/gguf.h"

namespace ingot {

namespace {

// The text of the token that closes the model's turn in each format.
const char* EndOfTurnText(ChatFormat format) {
  switch (format) {
    case ChatFormat::kChatMl: return "<|im_end|>";
    case ChatFormat::kLlama3: return "<|eot_id|>";
    case ChatFormat::kGemma: return "<end_of_turn>";
    case ChatFormat::kPhi3: return "<|end|>";
    case ChatFormat::kLlama2: return "";  // </s>, the EOS
  }
  return "";
}

}  // namespace

std::string ChatTemplateText(const Model& model) {
  const GgufFile* gguf = model.gguf();
  return gguf != nullptr ? gguf->GetString("tokenizer.chat_template").value_or("") : "";
}

ChatSpec ResolveChat(const Model& model, std::string_view name) {
  const std::string template_text = ChatTemplateText(model);
  std::optional<ChatFormat> format;
  if (!name.empty()) {
    format = ChatFormatByName(name);
    if (!format) {
      throw Error("unknown chat template '" + std::string(name) + "' (known: " + ChatFormatNames() + ")",
                  ErrorKind::kInvalidArgument);
    }
  } else if (template_text.empty()) {
    throw Error(model.path() + ": the model has no chat template; name one of " + ChatFormatNames() +
                    " (run-model --chat-template NAME), or feed raw text (--no-chat)",
                ErrorKind::kUnsupported);
  } else {
    format = DetectChatFormat(template_text);
    if (!format) {
      throw Error(model.path() + ": the model's chat template is none ingot knows; name one of " + ChatFormatNames() +
                      " (run-model --chat-template NAME), or feed raw text (--no-chat)",
                  ErrorKind::kUnsupported);
    }
  }
  // The template's text decides the options of its own family; a family named over another
  // template's (or none) takes its usual form.
  const bool own = !template_text.empty() && DetectChatFormat(template_text) == format;
  ChatSpec spec{*format, own ? ChatFormatOptionsOf(template_text) : ChatFormatOptions{}, -1};
  const std::string end = EndOfTurnText(*format);
  if (!end.empty()) spec.end_of_turn = model.tokenizer().FindSpecial(end);
  return spec;
}

std::vector<int32_t> TokenizeChat(const Model& model, const ChatSpec& spec, const std::vector<ChatMessage>& messages,
                                  bool add_generation_prompt, int32_t start_after) {
  const ChatText chat = FormatChat(spec.format, messages, add_generation_prompt, spec.options);
  const Tokenizer& tokenizer = model.tokenizer();
  const bool rstrip = spec.format == ChatFormat::kPhi3;  // Phi-3's special tokens strip what follows
  if (start_after < 0) return tokenizer.EncodeChat(chat, tokenizer.add_bos(), rstrip);
  if (static_cast<size_t>(start_after) >= chat.message_end.size()) {
    throw Error("start_after " + std::to_string(start_after) + " is past the " + std::to_string(messages.size()) +
                    " messages",
                ErrorKind::kInvalidArgument);
  }
  return tokenizer.EncodeChat(chat.Tail(chat.message_end[static_cast<size_t>(start_after)]), false, rstrip);
}

}  // namespace ingot

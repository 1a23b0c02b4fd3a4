// A model's chat template, resolved: the family model_io/chat_template.h writes, the options its
// text decides, and the token that ends the model's turn; and a conversation's token ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/model.h"
#include "model_io/chat_template.h"

namespace ingot {

struct ChatSpec {
  ChatFormat format;
  ChatFormatOptions options;
  int32_t end_of_turn;  // the token that ends the model's turn in this format; -1: EOS serves
};

// The model file's tokenizer.chat_template (Jinja text), "" when it has none.
std::string ChatTemplateText(const Model& model);

// name when given ("chatml", "llama3", "gemma", "phi3", "llama2"; Error kInvalidArgument
// listing them for another), else the family of the model's tokenizer.chat_template (Error
// kUnsupported when it has none, or one ingot does not recognize, naming the ones that work).
ChatSpec ResolveChat(const Model& model, std::string_view name);

// The conversation's token ids (Tokenizer::EncodeChat), with the opening of the model's next
// turn when add_generation_prompt. start_after < 0: all of it, BOS first when the model asks;
// else only what follows the content of message start_after, for a session that holds the
// conversation up to there (the model's answer, say, as it generated it).
std::vector<int32_t> TokenizeChat(const Model& model, const ChatSpec& spec, const std::vector<ChatMessage>& messages,
                                  bool add_generation_prompt, int32_t start_after);

}  // namespace ingot

/*
 * ingot.h: the C API of ingot, an integer-only transformer inference engine.
 *
 * Pure C99; the only header ingot installs. Link with `ingot::ingot` (CMake:
 * find_package(ingot)) or `pkg-config --cflags --libs ingot`.
 *
 * Rules that hold for every function here:
 *   - It returns an int32_t status: INGOT_OK (0) or one of the INGOT_ERROR_* codes.
 *     Results come back through out-parameters, which are written only on success
 *     unless the function says otherwise.
 *   - After an error, ingot_last_error() gives a one-line message naming what was wrong
 *     (the file, the tensor, the parameter). The message is per thread and stays until
 *     the next failing call on that thread.
 *   - No exception, abort, exit or output to stdout/stderr ever comes out of the library,
 *     whatever the input: diagnostics go only to the log callback, when one is set.
 *   - Objects are opaque handles. NULL handles and NULL out-pointers are refused with
 *     INGOT_ERROR_INVALID_ARGUMENT; the *_free functions accept NULL.
 *   - Parameter structs are passed by pointer and start with struct_size, which the caller
 *     sets to sizeof the struct it was compiled with (the *_params_init functions do it).
 *     A size this library does not know is refused with INGOT_ERROR_STRUCT_SIZE; later
 *     minor versions only ever add fields at the end.
 *
 * Threads: a model is read-only once loaded and may be shared by any number of sessions on
 * any threads. A session serves one call at a time: a call on a session while another call
 * on it runs (from another thread, or from a generate callback) returns INGOT_ERROR_BUSY at
 * once and changes nothing. Three calls never conflict and are never refused:
 * ingot_session_cancel(), ingot_session_tokenize() and ingot_session_detokenize() (these two
 * read only the model's tokenizer).
 *
 * Typical use:
 *   ingot_model* model;
 *   if (ingot_model_load("model.gguf", NULL, &model) != INGOT_OK) { ... ingot_last_error ... }
 *   ingot_session_params sp;
 *   ingot_session_params_init(&sp);
 *   sp.temperature = 0.0f;                                   (greedy)
 *   ingot_session* session;
 *   ingot_session_create(model, &sp, &session);
 *   ingot_session_eval_prompt(session, "Once upon a time");
 *   ingot_session_generate(session, 64, on_text, user_data, NULL);
 *   ingot_session_free(session);
 *   ingot_model_free(model);
 */
#ifndef INGOT_INGOT_H
#define INGOT_INGOT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define INGOT_API __attribute__((visibility("default")))
#else
#define INGOT_API
#endif

/* ---- Version ------------------------------------------------------------------------ */

/* The API this header describes. The major version changes only when a program built
 * against an older header could break; it is the shared library's SONAME version
 * (libingot.so.1). */
#define INGOT_API_VERSION_MAJOR 1
#define INGOT_API_VERSION_MINOR 2

/* The library's API version (to compare with the header's) and its release, e.g. "0.1.0".
 * Any pointer may be NULL. */
INGOT_API int32_t ingot_version(int32_t* api_major, int32_t* api_minor, const char** release);

/* ---- Status codes and errors -------------------------------------------------------- */

#define INGOT_OK 0
#define INGOT_ERROR_INVALID_ARGUMENT 1 /* a NULL handle or pointer, a value out of range */
#define INGOT_ERROR_STRUCT_SIZE 2      /* struct_size is not one this library knows */
#define INGOT_ERROR_IO 3               /* a file is missing, not a regular file, or unreadable */
#define INGOT_ERROR_MODEL_FORMAT 4     /* not a model, truncated, corrupted, or inconsistent */
#define INGOT_ERROR_UNSUPPORTED 5      /* valid, but not something ingot does (e.g. fp32 on an int8-only file) */
#define INGOT_ERROR_CONTEXT_FULL 6     /* the tokens do not fit in the session's context */
#define INGOT_ERROR_CANCELLED 7        /* ingot_session_cancel() stopped the call */
#define INGOT_ERROR_OUT_OF_MEMORY 8
#define INGOT_ERROR_BUFFER_TOO_SMALL 9 /* the needed size was written; call again with more room */
#define INGOT_ERROR_BUSY 10            /* a model still has sessions, or a session is in another call */
#define INGOT_ERROR_INVALID_STATE 11   /* e.g. generating before anything was evaluated */
#define INGOT_ERROR_INTERNAL 12        /* a bug in ingot: please report it with the message */

/* The calling thread's message for its last failed call ("" when there was none). The
 * string stays valid until that thread's next failing call. */
INGOT_API int32_t ingot_last_error(const char** message);

/* A constant name for a status, e.g. "INGOT_ERROR_IO" ("unknown status" for others). */
INGOT_API int32_t ingot_status_name(int32_t status, const char** name);

/* Diagnostics (model loaded, kernels chosen, errors) go to this callback, from whichever
 * thread produced them; NULL (the default) drops them. message is one line, without '\n'.
 * A call already under way on another thread may still reach the old callback after this
 * returns: keep its user_data valid until those threads' ingot calls have returned. */
#define INGOT_LOG_ERROR 0
#define INGOT_LOG_WARNING 1
#define INGOT_LOG_INFO 2
typedef void (*ingot_log_callback)(int32_t level, const char* message, void* user_data);
INGOT_API int32_t ingot_set_log_callback(ingot_log_callback callback, void* user_data);

/* ---- Models ------------------------------------------------------------------------- */

typedef struct ingot_model ingot_model;

/* How a session computes. */
#define INGOT_MODE_INT8 0 /* the integer-only forward pass (the default) */
#define INGOT_MODE_FP32 1 /* the float reference path */

typedef struct ingot_model_params {
  size_t struct_size;         /* sizeof(ingot_model_params) */
  const char* tokenizer_path; /* llama2.c checkpoints: a sentencepiece tokenizer.model; NULL: look next to the model */
  const char* isa;            /* kernels: "avx512vnni", "avx2", "neon-dot", "ref"; NULL: the best this CPU runs */
  int32_t prepare_int8;       /* nonzero (default): quantize a float model to int8 at load, for int8 sessions */
  int32_t n_threads;          /* threads for work at load (hash checks, quantization); 0 (default): all cores */
  /* Since API 1.2 (a struct_size of API 1.1's struct, ending here, gets the defaults below). */
  /* Low-bit weights for a float model quantized at load (prepare_int8): the apps' --bits,
   * --group and --asym/--sym. weight_bits NULL or "" (default): every matrix per-channel int8;
   * "4", "2", "8" or a list such as "4,attn_v=8,output=int8" (README, "Low-bit weights").
   * weight_group 0 (default): 64 at 2 and 4 bits, 32 at 8; else 32, 64, 128 or 256. weight_asym -1 (default): the
   * width's default; 0 symmetric; 1 asymmetric. */
  const char* weight_bits;
  int32_t weight_group;
  int32_t weight_asym;
} ingot_model_params;

/* Fills the defaults and struct_size. */
INGOT_API int32_t ingot_model_params_init(ingot_model_params* params);

/* Loads a GGUF file (float, Q8_0 or an ingot int8 file written by `quantize`) or a llama2.c
 * checkpoint. params may be NULL (the defaults). On success *model is the new model. */
INGOT_API int32_t ingot_model_load(const char* path, const ingot_model_params* params, ingot_model** model);

/* Loads a GGUF model from memory. The buffer is not copied: it must stay valid and unchanged
 * until ingot_model_free(). name is used in messages (NULL: "memory"). */
INGOT_API int32_t ingot_model_load_from_memory(const void* data, size_t size, const char* name,
                                               const ingot_model_params* params, ingot_model** model);

typedef struct ingot_model_info {
  size_t struct_size;       /* sizeof(ingot_model_info), set by the caller */
  const char* architecture; /* "llama", "gpt2" (strings live as long as the model) */
  const char* format;       /* "GGUF v3", "llama2.c" */
  const char* isa;          /* the kernels chosen at load, e.g. "avx512vnni" */
  int32_t n_vocab;
  int32_t n_layers;
  int32_t d_model;
  int32_t n_heads;
  int32_t n_kv_heads;
  int32_t d_ffn;
  int32_t n_ctx_train;   /* the longest context the model was trained for */
  int32_t bos_id;        /* -1 when the vocabulary has none */
  int32_t eos_id;
  int32_t add_bos;       /* nonzero when prompts start with BOS */
  int32_t has_int8;      /* nonzero when INGOT_MODE_INT8 sessions can run */
  int32_t has_fp32;      /* nonzero when INGOT_MODE_FP32 sessions can run */
  uint64_t weight_bytes; /* bytes of the model's tensors in its file */
  /* The architecture in detail (what `inspect` prints). Strings live as long as the model. */
  int32_t head_dim;
  int32_t rope_dims;      /* leading dims of each head that RoPE rotates; 0: learned positions */
  float rope_base;
  float norm_eps;
  const char* norm;       /* "RMSNorm" or "LayerNorm" */
  const char* ffn;        /* "SwiGLU", "GeGLU" or "GELU" */
  int32_t tied_output;    /* nonzero when the output matrix is token_embd */
  uint64_t n_params;      /* elements of all the file's tensors */
  const char* tokenizer;  /* where the tokenizer came from: "GGUF metadata" or a tokenizer.model's path */
  const char* fp_modules; /* the module kinds fp_modules takes, comma-separated, e.g. "norm,rope,act,softmax,kv,lm_head" */
  /* Since API 1.1 (a struct_size of API 1.0's struct gets the fields above only): */
  const char* rope_style; /* "adjacent pairs" (llama), "NeoX halves" (qwen2, qwen3, phi3), "none" (learned positions) */
  int32_t rope_freq_factors; /* nonzero when the file's rope_freqs divide RoPE's frequencies (Llama 3.1+) */
  int32_t qkv_bias;       /* nonzero when q, k and v (only) add a bias (qwen2) */
  int32_t qk_norm;        /* nonzero when each query and key head is RMSNormed before RoPE (qwen3) */
  const char* chat_template; /* the file's tokenizer.chat_template (Jinja text), "" when it has none */
  int32_t sliding_window;   /* positions a sliding-window layer sees (gemma3); 0: none */
  int32_t global_every;     /* with a window: every global_every-th layer sees everything */
  float rope_base_local;    /* with a window: the sliding-window layers' RoPE base */
  float rope_scale;         /* linear RoPE scaling of the other layers (1: none) */
  int32_t embed_scaled;     /* nonzero when the embedding is multiplied by sqrt(d_model) (gemma3) */
  int32_t post_norms;       /* nonzero when each branch is RMSNormed before the residual add (gemma3) */
} ingot_model_info;

INGOT_API int32_t ingot_model_get_info(const ingot_model* model, ingot_model_info* info);

/* Whether the model's architecture read tensor `index` of its file (the file's order, as
 * ingot_file_get_tensor lists it): *used is 1, or 0 for a tensor ingot ignores. An index out
 * of range is INGOT_ERROR_INVALID_ARGUMENT. */
INGOT_API int32_t ingot_model_tensor_used(const ingot_model* model, int64_t index, int32_t* used);

/* The integer path's matrices (since API 1.2): per-channel int8 or weight codes in groups. */
typedef struct ingot_matrix_info {
  size_t struct_size;  /* sizeof(ingot_matrix_info), set by the caller */
  const char* name;    /* "blk.0.attn_q.weight" (strings live as long as the model) */
  const char* format;  /* "int8", "4-bit g32 asym", ... */
  int32_t bits;        /* 8 for int8 per channel, else the codes' width */
  int32_t group;       /* inputs per group of codes; 0 for int8 per channel */
  int64_t rows;
  int64_t cols;
  uint64_t bytes;      /* in memory: codes or int8 data, scales, zero points, row sums */
} ingot_matrix_info;

/* How many matrices the integer path has (0 when the model has no int8 weights). */
INGOT_API int32_t ingot_model_n_matrices(const ingot_model* model, int64_t* n);
/* Matrix `index` (0 .. n - 1, the architecture's order). */
INGOT_API int32_t ingot_model_get_matrix(const ingot_model* model, int64_t index, ingot_matrix_info* info);

/* Frees the model. Refused with INGOT_ERROR_BUSY while sessions of it exist. NULL: INGOT_OK. */
INGOT_API int32_t ingot_model_free(ingot_model* model);

/* ---- Sessions ----------------------------------------------------------------------- */

typedef struct ingot_session ingot_session;

#define INGOT_N_CTX_MODEL (-1) /* n_ctx: the model's training context, at most 4096 */

typedef struct ingot_session_params {
  size_t struct_size;     /* sizeof(ingot_session_params) */
  int32_t n_ctx;          /* context in tokens, 1 .. the model's n_ctx_train; default INGOT_N_CTX_MODEL */
  int32_t n_threads;      /* 0 (default): all cores; 1: everything on the calling thread */
  int32_t mode;           /* INGOT_MODE_INT8 (default) or INGOT_MODE_FP32 */
  int32_t logits_all;     /* nonzero: ingot_session_eval keeps logits for every token (perplexity) */
  const char* fp_modules; /* int8 mode: modules run in float, e.g. "softmax,lm_head" (NULL: none) */
  /* Sampling: repetition penalty -> top-k -> top-p -> temperature -> a seeded draw. */
  float temperature;      /* default 0.8; <= 0: greedy (argmax, lowest id on ties) */
  int32_t top_k;          /* default 40; <= 0: all tokens */
  float top_p;            /* default 0.95; >= 1: no cut */
  float repeat_penalty;   /* default 1.1; 1: off */
  int32_t repeat_last_n;  /* default 64: tokens the penalty looks back on */
  uint64_t seed;          /* default 0; the same seed gives the same text on every machine */
  /* Bytes the session may take besides the model (KV cache, logits, buffers), checked before
   * anything is allocated: more is INGOT_ERROR_OUT_OF_MEMORY with the figures in the message.
   * 0 (default): the memory available when the session is created; and when n_ctx is also
   * INGOT_N_CTX_MODEL, no more than the model's weights (at least 256 MiB), so that a small
   * file's numbers alone cannot ask for gigabytes. */
  uint64_t max_memory;
} ingot_session_params;

INGOT_API int32_t ingot_session_params_init(ingot_session_params* params);

/* A new session over model with an empty context. params may be NULL (the defaults). */
INGOT_API int32_t ingot_session_create(ingot_model* model, const ingot_session_params* params,
                                       ingot_session** session);

/* NULL: INGOT_OK. INGOT_ERROR_BUSY while a call on the session runs (the session stays).
 * Once it returns INGOT_OK, the handle is gone: no thread may use it again. */
INGOT_API int32_t ingot_session_free(ingot_session* session);

/* Token ids of UTF-8 text, with BOS first when add_bos is nonzero and the vocabulary has one.
 * *n_tokens is always set to the number of ids; when it exceeds capacity the call returns
 * INGOT_ERROR_BUFFER_TOO_SMALL and writes nothing (tokens may then be NULL). */
INGOT_API int32_t ingot_session_tokenize(const ingot_session* session, const char* text, int32_t add_bos,
                                         int32_t* tokens, int32_t capacity, int32_t* n_tokens);

/* The UTF-8 text of ids, NUL-terminated. *length is always set to the text's length without
 * the NUL; when length + 1 exceeds capacity the call returns INGOT_ERROR_BUFFER_TOO_SMALL
 * (text may then be NULL). Out-of-range ids are skipped. */
INGOT_API int32_t ingot_session_detokenize(const ingot_session* session, const int32_t* tokens, int32_t n_tokens,
                                           char* text, size_t capacity, size_t* length);

/* Appends tokens to the context and runs them: the logits of the last one (all of them with
 * logits_all) are then available. INGOT_ERROR_CONTEXT_FULL (nothing evaluated) when they do
 * not fit; INGOT_ERROR_CANCELLED when a cancel was pending or arrived between two batches of
 * 512 tokens (the context is then as before the call; one stopped between batches leaves no
 * logits until the next evaluation). */
INGOT_API int32_t ingot_session_eval(ingot_session* session, const int32_t* tokens, int32_t n_tokens);

/* Tokenizes text (with BOS when the context is empty and the model asks for it) and evaluates
 * it, as ingot_session_eval. Empty text is refused. */
INGOT_API int32_t ingot_session_eval_prompt(ingot_session* session, const char* text);

/* Called with each piece of generated text: whole UTF-8 characters only (a character split
 * over several tokens arrives with the token that completes it, so length may be 0). token is
 * the id just sampled. Returning nonzero stops generation (ingot_session_generate then
 * returns INGOT_OK). */
typedef int32_t (*ingot_token_callback)(const char* text, size_t length, int32_t token, void* user_data);

/* Samples up to max_tokens tokens from the current logits, evaluating each, and streams them
 * to callback (may be NULL). Stops early, returning INGOT_OK, at the end-of-text token (not
 * passed on) or when the callback returns nonzero; returns INGOT_ERROR_CONTEXT_FULL when the
 * context fills up first and INGOT_ERROR_CANCELLED after ingot_session_cancel(), both with
 * the tokens so far kept. Unless the callback asked to stop, bytes of an unfinished character
 * reach it last, as U+FFFD. *n_generated (may be NULL) is always set. Needs a prior evaluation
 * (INGOT_ERROR_INVALID_STATE otherwise). */
INGOT_API int32_t ingot_session_generate(ingot_session* session, int32_t max_tokens, ingot_token_callback callback,
                                         void* user_data, int32_t* n_generated);

/* One token sampled from the current logits (no evaluation). */
INGOT_API int32_t ingot_session_sample(ingot_session* session, int32_t* token);

/* Asks the session's running (or next) eval or generate call to stop: it returns
 * INGOT_ERROR_CANCELLED before evaluating another token. Safe from any thread, at any time,
 * while the session exists. */
INGOT_API int32_t ingot_session_cancel(ingot_session* session);

/* Empties the context (and clears a pending cancel); the sampler's random state continues. */
INGOT_API int32_t ingot_session_reset(ingot_session* session);

/* ingot_session_generate also stops at token, as at the end-of-text token (a chat template's
 * end of turn, which ingot_chat_template gives). */
INGOT_API int32_t ingot_session_add_stop_token(ingot_session* session, int32_t token);

/* Chat: a conversation as the text an instruct model was trained on. ingot writes the families
 * "chatml" (Qwen, SmolLM2), "llama3", "gemma", "phi3" and "llama2" ("mistral"), recognized
 * from the model's tokenizer.chat_template text (no Jinja runs). */
typedef struct ingot_chat_message {
  const char* role;    /* "system" (first only), "user" or "assistant" */
  const char* content; /* UTF-8; plain text: control-token text in it stays text */
} ingot_chat_message;

/* The family ingot uses for the model: template_name when not NULL, else the family of the
 * model's own chat template. *name (may be NULL) gets the family's name, *end_of_turn (may be
 * NULL) the token that ends the model's turn, -1 when the end-of-text token does. An unknown
 * name is INGOT_ERROR_INVALID_ARGUMENT; no template_name and no recognized template of the
 * model's is INGOT_ERROR_UNSUPPORTED, the message listing the names that work. */
INGOT_API int32_t ingot_chat_template(const ingot_model* model, const char* template_name, const char** name,
                                      int32_t* end_of_turn);

/* Token ids of a conversation in that family (template_name as above), with the opening of the
 * model's next turn when add_generation_prompt is nonzero. start_after -1: the whole
 * conversation, BOS first when the model asks; start_after = i: only what follows message i's
 * content, for a session that holds the conversation up to there (e.g. the model's answer as
 * it generated it, message i). *n_tokens and capacity as ingot_session_tokenize. */
INGOT_API int32_t ingot_chat_tokenize(const ingot_model* model, const char* template_name,
                                      const ingot_chat_message* messages, int32_t n_messages,
                                      int32_t add_generation_prompt, int32_t start_after, int32_t* tokens,
                                      int32_t capacity, int32_t* n_tokens);

typedef struct ingot_session_info {
  size_t struct_size; /* sizeof(ingot_session_info), set by the caller */
  int32_t n_ctx;
  int32_t n_past;     /* tokens in the context */
  int32_t n_threads;
  int32_t mode;       /* INGOT_MODE_INT8 or INGOT_MODE_FP32 */
  uint64_t kv_cache_bytes;
  uint64_t weight_bytes;           /* the weights this session's mode computes with (int8: packed, with scales) */
  uint64_t weight_bytes_per_token; /* what one generated token reads of them: all but the embedding table's other rows */
} ingot_session_info;

INGOT_API int32_t ingot_session_get_info(const ingot_session* session, ingot_session_info* info);

/* The logits of the last evaluation as float: *n_rows rows of *n_vocab (one row, or one per
 * evaluated token with logits_all). Valid until the next eval, reset or free. In int8 mode
 * they are the integer logits / 2^frac_bits. */
INGOT_API int32_t ingot_session_get_logits(const ingot_session* session, const float** logits, int32_t* n_rows,
                                           int32_t* n_vocab);

/* int8 mode only (INGOT_ERROR_UNSUPPORTED in fp32): the integer logits, real value =
 * logits[i] / 2^(*frac_bits), laid out as ingot_session_get_logits. */
INGOT_API int32_t ingot_session_get_logits_int32(const ingot_session* session, const int32_t** logits,
                                                 int32_t* frac_bits, int32_t* n_rows, int32_t* n_vocab);

/* ---- Model files ------------------------------------------------------------------- */

/* A model file's structure, read without loading the model: what `inspect` shows. It opens
 * files that ingot cannot run too (a known architecture is not needed), as long as the format
 * itself is valid. */
typedef struct ingot_file ingot_file;

INGOT_API int32_t ingot_file_open(const char* path, ingot_file** file);
/* NULL: INGOT_OK. */
INGOT_API int32_t ingot_file_free(ingot_file* file);

typedef struct ingot_file_info {
  size_t struct_size;   /* sizeof(ingot_file_info), set by the caller */
  const char* format;   /* "GGUF" or "llama2.c" */
  int32_t version;      /* the GGUF version; 0 for llama2.c */
  uint64_t file_size;
  uint64_t alignment;   /* GGUF's data alignment; 0 for llama2.c */
  uint64_t data_offset; /* where tensor data starts (0 for llama2.c) */
  int64_t n_metadata;   /* GGUF key/values; for llama2.c, the header's fields */
  int64_t n_tensors;
  int32_t has_hashes;   /* nonzero for an ingot GGUF written by `quantize`: ingot_file_verify checks it */
} ingot_file_info;

INGOT_API int32_t ingot_file_get_info(const ingot_file* file, ingot_file_info* info);

/* One metadata entry, index 0 .. n_metadata - 1. Strings live as long as the file. */
typedef struct ingot_metadata_entry {
  size_t struct_size; /* sizeof(ingot_metadata_entry), set by the caller */
  const char* key;
  const char* type;   /* "u32", "string", "array of string", ... */
  const char* value;  /* as text; arrays as "[type x N] first items..." */
} ingot_metadata_entry;

INGOT_API int32_t ingot_file_get_metadata(const ingot_file* file, int64_t index, ingot_metadata_entry* entry);

#define INGOT_MAX_DIMS 4

/* One tensor, index 0 .. n_tensors - 1, in file order. */
typedef struct ingot_tensor_info {
  size_t struct_size; /* sizeof(ingot_tensor_info), set by the caller */
  const char* name;
  const char* type;   /* ggml's type name: "F32", "Q8_0", "I8", ... */
  int32_t n_dims;
  uint64_t dims[INGOT_MAX_DIMS]; /* dims[0] is the contiguous one; unused ones are 1 */
  uint64_t n_elements;
  uint64_t offset;    /* of its data, from the start of the file */
  uint64_t n_bytes;
} ingot_tensor_info;

INGOT_API int32_t ingot_file_get_tensor(const ingot_file* file, int64_t index, ingot_tensor_info* tensor);

/* Checks the XXH3-64 hashes of an ingot GGUF (written by `quantize`): the metadata and every
 * tensor, n_threads at a time (0: all cores). *n_checks and *n_failed (either may be NULL)
 * give the counts; the results stay readable with ingot_file_get_hash_check. A file without
 * hashes: INGOT_ERROR_UNSUPPORTED. Mismatches are not an error status: look at *n_failed. */
INGOT_API int32_t ingot_file_verify(ingot_file* file, int32_t n_threads, int64_t* n_checks, int64_t* n_failed);

typedef struct ingot_hash_check {
  size_t struct_size; /* sizeof(ingot_hash_check), set by the caller */
  const char* name;   /* "metadata" or a tensor's name */
  int32_t ok;         /* nonzero when actual == expected */
  uint64_t expected;  /* from the file's ingot.* keys */
  uint64_t actual;    /* of the bytes in the file now */
} ingot_hash_check;

/* Check index 0 .. n_checks - 1 of the last ingot_file_verify (INGOT_ERROR_INVALID_STATE before one). */
INGOT_API int32_t ingot_file_get_hash_check(const ingot_file* file, int64_t index, ingot_hash_check* check);

/* ---- Text --------------------------------------------------------------------------- */

/* Sets *invalid_offset to the byte offset of the first invalid UTF-8 sequence in text[0, length)
 * (strict: no overlong forms, surrogates or code points above U+10FFFF), or to -1 when all of
 * it is valid. The tokenizers accept invalid bytes (as llama.cpp does, they become U+FFFD), so
 * an app that wants only valid text checks it first. */
INGOT_API int32_t ingot_utf8_check(const char* text, size_t length, int64_t* invalid_offset);

#ifdef __cplusplus
}
#endif

#endif /* INGOT_INGOT_H */

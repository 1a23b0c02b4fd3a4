/*
 * ingot-desktop: a small GTK 4 front end over ingot's public C API (ingot.h).
 *
 * Built only against an installed ingot (find_package(ingot) -> ingot::ingot). The model is
 * loaded and run on a worker thread (worker.c, a GThread); generated text reaches the UI thread
 * (ui.c) through g_idle_add. Stop calls ingot_session_cancel() from the UI thread. Uses GTK 4.8
 * APIs only.
 *
 *   ingot-desktop [--model PATH] [--prompt TEXT] [--n-predict N] [--autorun]
 *                 [--quit-when-done SECONDS] [--help]
 */
#include <glib-unix.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

#ifndef INGOT_DESKTOP_SOURCE_DIR
#define INGOT_DESKTOP_SOURCE_DIR "."
#endif

/* ---- Command line and the default model ------------------------------------------------ */

static char* find_default_model(void) {
  const char* rel = "stories260K" G_DIR_SEPARATOR_S "stories260K.bin";
  const char* dirs[] = {"models", ".." G_DIR_SEPARATOR_S "shared" G_DIR_SEPARATOR_S "models",
                        INGOT_DESKTOP_SOURCE_DIR "/../../models",
                        INGOT_DESKTOP_SOURCE_DIR "/../../../shared/models"};
  for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
    char* path = g_build_filename(dirs[i], rel, NULL);
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
      char* abs = g_canonicalize_filename(path, NULL);
      g_free(path);
      return abs;
    }
    g_free(path);
  }
  return NULL;
}

static void usage(FILE* out) {
  fputs("usage: ingot-desktop [options]\n"
        "  --model PATH              model file (.gguf or a llama2.c .bin); default: stories260K from\n"
        "                            ./models or ../shared/models\n"
        "  --prompt TEXT             the prompt (default \"Once upon a time\")\n"
        "  --n-predict N             tokens to generate (default 200)\n"
        "  --autorun                 start generating as soon as the window is shown\n"
        "  --quit-when-done SECONDS  after an --autorun generation finishes, wait SECONDS, then quit\n"
        "  --help                    this text\n"
        "INGOT_DESKTOP_TOKEN_DELAY_MS=N in the environment waits N ms after each token (demos, tests).\n"
        "Keys: Ctrl+Return generates, Escape stops, Ctrl+W or Ctrl+Q closes the window.\n"
        "When a generation finishes, prints \"ingot-desktop: generated N tokens\" to stdout.\n",
        out);
}

int parse_int(const char* s, int lo, int hi, int* out) {
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return 0;
  *out = (int)v;
  return 1;
}

/* Returns -1 to continue, else an exit code. */
static int parse_args(int argc, char** argv, Options* opt) {
  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    const char* value = NULL;
    char name[64];
    const char* eq = strchr(arg, '=');
    if (strncmp(arg, "--", 2) == 0 && eq != NULL && (size_t)(eq - arg) < sizeof name) {
      memcpy(name, arg, (size_t)(eq - arg));
      name[eq - arg] = '\0';
      value = eq + 1;
      arg = name;
    }
    int takes_value = strcmp(arg, "--model") == 0 || strcmp(arg, "--prompt") == 0 ||
                      strcmp(arg, "--n-predict") == 0 || strcmp(arg, "--quit-when-done") == 0;
    if (takes_value && value == NULL) {
      if (i + 1 >= argc) {
        fprintf(stderr, "ingot-desktop: %s needs a value\n", arg);
        return 2;
      }
      value = argv[++i];
    } else if (!takes_value && value != NULL) {
      fprintf(stderr, "ingot-desktop: %s takes no value\n", arg);
      return 2;
    }
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(arg, "--model") == 0) {
      g_free(opt->model);
      opt->model = g_strdup(value);
    } else if (strcmp(arg, "--prompt") == 0) {
      g_free(opt->prompt);
      opt->prompt = g_strdup(value);
    } else if (strcmp(arg, "--n-predict") == 0) {
      if (!parse_int(value, 1, 4096, &opt->n_predict)) {
        fprintf(stderr, "ingot-desktop: --n-predict: expected an integer in 1..4096, got '%s'\n", value);
        return 2;
      }
    } else if (strcmp(arg, "--quit-when-done") == 0) {
      if (!parse_int(value, 0, 86400, &opt->quit_when_done)) {
        fprintf(stderr, "ingot-desktop: --quit-when-done: expected seconds in 0..86400, got '%s'\n", value);
        return 2;
      }
    } else if (strcmp(arg, "--autorun") == 0) {
      opt->autorun = TRUE;
    } else {
      fprintf(stderr, "ingot-desktop: unknown option '%s' (see --help)\n", argv[i]);
      return 2;
    }
  }
  return -1;
}

int main(int argc, char** argv) {
  static App app; /* lives until exit: idle callbacks may still reference it */
  app.opt.n_predict = 200;
  app.opt.quit_when_done = -1;
  int rc = parse_args(argc, argv, &app.opt);
  if (rc >= 0) return rc;
  if (app.opt.prompt == NULL) app.opt.prompt = g_strdup("Once upon a time");
  if (app.opt.model == NULL) app.opt.model = find_default_model();

  int32_t major = 0;
  ingot_version(&major, NULL, NULL);
  if (major != INGOT_API_VERSION_MAJOR) {
    fprintf(stderr, "ingot-desktop: libingot has API %d, this program was built for %d\n", major,
            INGOT_API_VERSION_MAJOR);
    return 1;
  }

  g_mutex_init(&app.lock);
  app.gtk_app = gtk_application_new("org.ingot.Desktop", G_APPLICATION_NON_UNIQUE);
  g_signal_connect(app.gtk_app, "activate", G_CALLBACK(on_activate), &app);
  guint sigint = g_unix_signal_add(SIGINT, on_quit_signal, &app);
  guint sigterm = g_unix_signal_add(SIGTERM, on_quit_signal, &app);
  char* gtk_argv[] = {argv[0], NULL};
  int status = g_application_run(G_APPLICATION(app.gtk_app), 1, gtk_argv);

  g_source_remove(sigint);
  g_source_remove(sigterm);
  app.shutting_down = TRUE;
  stop_and_join(&app);
  if (app.chooser != NULL) {
    gtk_native_dialog_destroy(app.chooser);
    g_clear_object(&app.chooser);
  }
  g_object_unref(app.gtk_app);
  ingot_model_free(app.model);
  g_free(app.loaded_path);
  g_free(app.model_path);
  g_free(app.opt.model);
  g_free(app.opt.prompt);
  g_mutex_clear(&app.lock);
  return status;
}

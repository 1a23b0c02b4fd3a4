/*
 * ingot-desktop's shared state and the messages between its two threads: the GTK UI (ui.c,
 * the main thread) and the generation worker (worker.c, one GThread per generation). main.c
 * parses the command line and runs the application.
 */
#ifndef INGOT_DESKTOP_APP_H
#define INGOT_DESKTOP_APP_H

#include <gtk/gtk.h>
#include <ingot/ingot.h>

typedef struct Options {
  char* model;
  char* prompt;
  int n_predict;
  gboolean autorun;
  int quit_when_done; /* seconds; < 0: stay open */
} Options;

typedef struct App {
  Options opt;
  GtkApplication* gtk_app;
  GtkWidget* window;
  GtkWidget* model_label;
  GtkWidget* choose_button;
  GtkWidget* prompt_view;
  GtkWidget* n_predict_spin;
  GtkWidget* generate_button;
  GtkWidget* stop_button;
  GtkWidget* status_label;
  GtkWidget* output_view;
  GtkNativeDialog* chooser;

  char* model_path; /* the chosen model (UI thread) */

  /* Owned by the worker while one runs, by the UI thread otherwise. */
  ingot_model* model;
  char* loaded_path;

  GThread* worker;     /* non-NULL while a generation runs (UI thread only) */
  gboolean autorun_pending; /* the running generation came from --autorun */
  gboolean shutting_down;

  GMutex lock;              /* guards session and cancel_requested */
  ingot_session* session;   /* the worker's live session, for Stop */
  gboolean cancel_requested;
} App;

/* ---- Messages from the worker to the UI thread (through g_idle_add) --------------------- */

typedef struct Piece {
  App* app;
  char* text;
} Piece;

typedef struct Done {
  App* app;
  int32_t status;
  int32_t n_generated;
  double seconds;
  char* message; /* NULL on success */
} Done;

typedef struct Job {
  App* app;
  char* model_path;
  char* prompt;
  int32_t n_predict;
  gulong token_delay_us; /* INGOT_DESKTOP_TOKEN_DELAY_MS: slows streaming, for demos and tests */
} Job;

/* worker.c: runs job (a Job*, freed by it), posts its progress, ends by posting a Done. */
gpointer worker_main(gpointer job);

/* ui.c: the UI thread. The idle callbacks take and free what the worker posted. */
gboolean on_status_idle(gpointer piece);
gboolean on_piece_idle(gpointer piece);
gboolean on_done_idle(gpointer done);
void on_activate(GtkApplication* gtk_app, gpointer app);
void stop_and_join(App* app); /* cancels and waits for a running worker */
gboolean on_quit_signal(gpointer app);

/* main.c */
int parse_int(const char* s, int lo, int hi, int* out);

#endif /* INGOT_DESKTOP_APP_H */

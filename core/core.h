/* sgpbench core: numerics and plumbing shared by every layer.
 *
 * Conventions (see docs/architecture.md):
 *  - Errors are values. A function that can fail returns 0 on success and -1 on failure, after
 *    filling `sgp_err` with ONE line naming the file / field / argument at fault. Only main()
 *    prints and exits. A failing function leaves its outputs untouched.
 *  - Batches are row-major float arrays, batch dimension first, sizes passed beside the pointer.
 *  - Nothing here allocates on a hot path: networks run in a workspace made once.
 *  - No globals, no rand(), no time-based seeds.
 */
#ifndef SGP_CORE_H
#define SGP_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ============================== errors and memory ============================================ */

typedef struct sgp_err {
  char msg[1024]; /* one line, no trailing newline */
} sgp_err;

/* Formats the message into e (if e != NULL) and returns -1, so `return sgp_fail(e, ...)` reads well. */
int sgp_fail(sgp_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends "prefix: " to an existing message (adds context on the way up). Returns -1. */
int sgp_fail_prefix(sgp_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* malloc/calloc/realloc that print "sgp: out of memory" and exit(3) on failure (never NULL). */
void *sgp_malloc(size_t n);
void *sgp_calloc(size_t count, size_t size);
void *sgp_realloc(void *p, size_t n);
char *sgp_strdup(const char *s);
/* 64-byte aligned allocation for float buffers; free with free(). */
float *sgp_falloc(size_t n);

/* The names a registry knows, for messages: name_at(ctx, i) for i in [0, n). sgp_name_in_list
 * reads them from an array of strings (ctx: const char *const *). */
typedef const char *(*sgp_name_at)(const void *ctx, int i);
const char *sgp_name_in_list(const void *names, int i);
/* "a, b, c" into buf (ending in "..." when it does not fit). */
void sgp_join_names(char *buf, size_t cap, int n, sgp_name_at name_at, const void *ctx);
/* Fills e with "unknown <what> '<name>' (known: a, b, c)" and returns -1; add where it happened
 * with sgp_fail_prefix(e, "%s: /planner/name", file). */
int sgp_fail_unknown(sgp_err *e, const char *what, const char *name, int n, sgp_name_at name_at,
                     const void *ctx);

/* Returns 1 if every value is finite. */
int sgp_all_finite_f(const float *x, size_t n);
int sgp_all_finite_d(const double *x, size_t n);

/* ============================== random numbers ================================================ */
/* xoshiro256** seeded by splitmix64. Streams are derived from one job seed and a name, so that
 * adding a consumer never shifts the numbers another consumer sees. */

typedef struct sgp_rng {
  uint64_t s[4];
  int have_spare; /* Box-Muller keeps its second sample */
  double spare;
} sgp_rng;

void sgp_rng_seed(sgp_rng *r, uint64_t seed);
/* Independent named stream: seed mixed with a 64-bit hash of `name` ("data", "init", "noise", ...). */
void sgp_rng_stream(sgp_rng *r, uint64_t seed, const char *name);
/* Child stream number `index` of a parent (per episode, per thread, per member); parent unchanged. */
void sgp_rng_child(sgp_rng *out, const sgp_rng *parent, uint64_t index);
uint64_t sgp_rng_u64(sgp_rng *r);
double sgp_rng_uniform(sgp_rng *r);            /* [0, 1), 53 random bits */
double sgp_rng_normal(sgp_rng *r);             /* N(0, 1), Box-Muller */
uint64_t sgp_rng_below(sgp_rng *r, uint64_t n); /* uniform in [0, n), unbiased; n > 0 */
void sgp_rng_fill_uniform(sgp_rng *r, float *x, size_t n, float lo, float hi);
void sgp_rng_fill_normal(sgp_rng *r, float *x, size_t n, float mean, float std);
void sgp_rng_permutation(sgp_rng *r, int *perm, int n); /* Fisher-Yates over 0..n-1 */
/* 64-bit FNV-1a, used to name streams and content-address artefacts. */
uint64_t sgp_hash64(const void *data, size_t n, uint64_t h0);

/* ============================== multilayer perceptron ========================================= */
/* y = L_n( h_{n-1} ),  h_k = g_k[level] ⊙ act( LN_k( W_k h_{k-1} + b_k ) )   (METHOD §3)
 * W_k stored [out][in] row-major (PyTorch layout), so a batch is one cblas_sgemm per layer.
 * LayerNorm (optional) follows each hidden linear; the conditioning embedding g_k (optional,
 * `ncond` levels) gates each hidden activation. The output layer is linear. */

#define NN_MAX_HIDDEN 16

typedef enum nn_act {
  NN_RELU = 0,
  NN_LEAKY_RELU, /* slope act_param (default 0.01) */
  NN_ELU,        /* alpha act_param (default 1.0) */
  NN_SILU,
  NN_TANH,
  NN_IDENTITY,
  NN_NUM_ACT
} nn_act;

typedef struct nn_arch {
  int nin, nout;
  int nhidden;                /* number of hidden layers, 0..NN_MAX_HIDDEN */
  int width[NN_MAX_HIDDEN];   /* their widths */
  nn_act act;
  float act_param;
  int layernorm;              /* 1: LayerNorm (eps 1e-5, affine) after every hidden linear */
  int ncond;                  /* number of conditioning levels; 0: unconditioned */
} nn_arch;

/* Pointers into one flat parameter (or gradient) buffer. Order in the buffer, layer by layer:
 * W (out*in), b (out), [ln_g (out), ln_b (out)], [emb (ncond*out)]; output layer: W, b. */
typedef struct nn_layer {
  int nin, nout;
  float *W, *b, *ln_g, *ln_b, *emb;
} nn_layer;

typedef struct nn_mlp {
  nn_arch arch;
  size_t nparams;
  float *params;                   /* one allocation */
  nn_layer layer[NN_MAX_HIDDEN + 1];
  int nlayers;                     /* nhidden + 1 */
  struct nn_frozen *frozen;        /* inference kernels (core/nn_kernels.h nn_freeze), or NULL */
} nn_mlp;

typedef struct nn_ws nn_ws; /* workspace: activations of the last forward, scratch */

const char *nn_act_name(nn_act a);
int nn_act_parse(const char *name, nn_act *out); /* "relu", "leaky_relu", "elu", "silu", "tanh", "identity" */
int nn_arch_check(const nn_arch *a, sgp_err *e);
size_t nn_arch_nparams(const nn_arch *a);
/* Lays out layer views over a flat buffer of nn_arch_nparams floats (params or their gradients). */
void nn_layout(const nn_arch *a, float *base, nn_layer *layers);

nn_mlp *nn_create(const nn_arch *a);            /* parameters zeroed */
void nn_free(nn_mlp *m);
void nn_init(nn_mlp *m, sgp_rng *r);            /* PyTorch defaults: W,b ~ U(±1/sqrt(fan_in)); LN 1,0; emb U(0,1) */
nn_mlp *nn_clone(const nn_mlp *m);

nn_ws *nn_ws_create(const nn_arch *a, int maxbatch);
void nn_ws_free(nn_ws *w);
int nn_ws_maxbatch(const nn_ws *w);

/* Forward pass of B rows (B <= maxbatch of ws). level: B level indices when ncond > 0, else NULL.
 * Keeps what backward needs in ws. x and y may not alias. Small B takes a gemv path. */
void nn_forward(const nn_mlp *m, nn_ws *ws, int B, const float *x, const int *level, float *y);
/* Backward of the last nn_forward on ws (same m, B). dy: B x nout.
 * dparams (nparams floats, same layout as params) receives the parameter gradient, added to its
 * contents if accumulate, else overwritten; NULL skips it. dx (B x nin) receives the input VJP;
 * NULL skips it. */
void nn_backward(const nn_mlp *m, nn_ws *ws, int B, const float *dy, float *dparams, int accumulate,
                 float *dx);

/* Architecture <-> JSON (the form stored in model files and configs):
 * {"in":5,"out":4,"hidden":[64,64,32],"act":"leaky_relu","act_param":0.01,"layernorm":false,"ncond":0} */
cJSON *nn_arch_to_json(const nn_arch *a);
struct sgp_cfg;
int nn_arch_from_cfg(struct sgp_cfg *c, int nin, int nout, nn_arch *out, sgp_err *e);

/* ============================== Adam =========================================================== */

typedef struct sgp_adam_cfg {
  float lr;            /* default 1e-3 */
  float beta1, beta2;  /* 0.9, 0.999 */
  float eps;           /* 1e-8 */
  float weight_decay;  /* 0: none. Decoupled (AdamW) when decoupled = 1, else L2 added to g. */
  int decoupled;
  float clip_norm;     /* > 0: scale g so that its global L2 norm is at most clip_norm */
} sgp_adam_cfg;

typedef struct sgp_adam {
  sgp_adam_cfg cfg;
  size_t n;
  float *m, *v;
  long t;
} sgp_adam;

sgp_adam_cfg sgp_adam_defaults(void);
sgp_adam *sgp_adam_create(size_t n, const sgp_adam_cfg *cfg);
void sgp_adam_free(sgp_adam *a);
void sgp_adam_reset(sgp_adam *a); /* zero moments and step count */
/* One step on x (n floats) with gradient g (clipped in place when clip_norm > 0) at learning rate
 * lr (pass cfg.lr for constant). Returns the global gradient norm before clipping. */
float sgp_adam_step(sgp_adam *a, float *x, float *g, float lr);
/* Cosine decay from lr0 to lr_min over total steps (step in [0, total]). */
float sgp_cosine_lr(float lr0, float lr_min, long step, long total);

/* ============================== normalizers ==================================================== */
/* z = (x - shift) / scale, per dimension. */

typedef struct sgp_norm {
  int dim;
  float *shift, *scale;
} sgp_norm;

void sgp_norm_init(sgp_norm *n, int dim);         /* identity: shift 0, scale 1 */
void sgp_norm_free(sgp_norm *n);
/* Mean / standard deviation of the columns of X (rows x dim); scale floored at min_scale. */
void sgp_norm_fit(sgp_norm *n, const float *X, size_t rows, int dim, float min_scale);
void sgp_norm_apply(const sgp_norm *n, size_t rows, const float *x, float *z);   /* may alias */
void sgp_norm_invert(const sgp_norm *n, size_t rows, const float *z, float *x);  /* may alias */
void sgp_norm_copy(sgp_norm *dst, const sgp_norm *src);

/* ============================== arrays, .npy and .safetensors =================================== */

typedef enum sgp_dtype { SGP_F32 = 0, SGP_F64, SGP_U8, SGP_I32, SGP_I64, SGP_NUM_DTYPE } sgp_dtype;
size_t sgp_dtype_size(sgp_dtype t);
const char *sgp_dtype_name(sgp_dtype t); /* "float32", ... */

#define SGP_MAX_DIMS 8

typedef struct sgp_array {
  sgp_dtype dtype;
  int ndim;
  int64_t shape[SGP_MAX_DIMS];
  void *data; /* owned, 64-byte aligned */
  size_t nbytes;
} sgp_array;

size_t sgp_array_count(const sgp_array *a);
/* Allocates a zeroed array. */
void sgp_array_alloc(sgp_array *a, sgp_dtype t, int ndim, const int64_t *shape);
void sgp_array_free(sgp_array *a);

/* .npy version 1.0/2.0/3.0, little-endian, C order, dtypes above. `name` is used in messages. */
int sgp_npy_parse(const void *buf, size_t len, const char *name, sgp_array *out, sgp_err *e);
int sgp_npy_read(const char *path, sgp_array *out, sgp_err *e);
/* Writes atomically (temp + rename). */
int sgp_npy_write(const char *path, const sgp_array *a, sgp_err *e);
int sgp_npy_write_raw(const char *path, sgp_dtype t, int ndim, const int64_t *shape, const void *data,
                      sgp_err *e);

typedef struct sgp_tensor {
  char *name;
  sgp_array a;
} sgp_tensor;

typedef struct sgp_st {
  int n, cap;
  sgp_tensor *t;
  cJSON *meta; /* the "__metadata__" object: string -> string (may be NULL) */
} sgp_st;

void sgp_st_init(sgp_st *s);
void sgp_st_free(sgp_st *s);
/* Copies the data. Fails on a duplicate name. */
int sgp_st_add(sgp_st *s, const char *name, sgp_dtype t, int ndim, const int64_t *shape,
               const void *data, sgp_err *e);
void sgp_st_set_meta(sgp_st *s, const char *key, const char *value);
const char *sgp_st_get_meta(const sgp_st *s, const char *key);
const sgp_tensor *sgp_st_find(const sgp_st *s, const char *name);
/* Looks up a float32 tensor of exactly the given shape (a negative entry matches any size); the
 * error names file (`what`) and tensor. */
int sgp_st_get_f32(const sgp_st *s, const char *what, const char *name, int ndim, const int64_t *shape,
                   const float **data, sgp_err *e);
int sgp_st_parse(const void *buf, size_t len, const char *name, sgp_st *out, sgp_err *e);
int sgp_st_read(const char *path, sgp_st *out, sgp_err *e);
int sgp_st_write(const char *path, const sgp_st *s, sgp_err *e); /* atomic; tensors sorted by name */

/* ============================== files ========================================================== */

/* Reads a whole file (at most max_bytes; larger is an error). Buffer is NUL-terminated. */
int sgp_read_file(const char *path, void **buf, size_t *len, size_t max_bytes, sgp_err *e);
/* Same, but only a regular file (a symlink to one is followed): a device, FIFO or socket is
 * "cannot read: not a regular file", never read. */
int sgp_read_regular(const char *path, void **buf, size_t *len, size_t max_bytes, sgp_err *e);
/* Opens path read-only (close-on-exec; a FIFO without a writer does not block): a file descriptor, or -1 with e naming the file ("cannot
 * open", "cannot stat", "cannot read: Is a directory"). *size: the size of a regular file, else -1. */
int sgp_open_read(const char *path, int64_t *size, sgp_err *e);
/* Writes atomically: "<path>.tmp.<host>.<pid>.<random>" (O_EXCL, O_NOFOLLOW), fsync, rename. */
int sgp_write_file_atomic(const char *path, const void *buf, size_t len, sgp_err *e);
/* Streaming form: open a temporary next to path; commit renames it; abort removes it. */
typedef struct sgp_atomic_file {
  FILE *f;
  char *path, *tmp;
} sgp_atomic_file;
int sgp_atomic_open(sgp_atomic_file *af, const char *path, sgp_err *e);
int sgp_atomic_commit(sgp_atomic_file *af, sgp_err *e);
void sgp_atomic_abort(sgp_atomic_file *af);
int sgp_mkdirs(const char *path, sgp_err *e);       /* mkdir -p */
/* Creates the directory "<path>.<tag>.<host>.<pid>.<random>" (tag "tmp" or "old"; an unpredictable
 * name, never an existing one); *out is its malloc'd path. */
int sgp_mkdir_temp(const char *path, const char *tag, char **out, sgp_err *e);
/* Removes a directory of plain files without following links (a symlink at `dir` is removed
 * itself, never what it points to). 0 or -1. */
int sgp_remove_flat_dir(const char *dir);
/* Removes the temporaries "*.tmp.<host>.<pid>.*" that processes of this host which are no longer
 * running left in dir (a kill -9, a power loss); a "*.old.*" directory whose original is missing
 * is renamed back instead. Files of live processes and of other hosts are never touched.
 * *removed (may be NULL): how many. -1 if dir cannot be read. */
int sgp_clean_stale(const char *dir, int *removed);
/* This machine's name reduced to [A-Za-z0-9-] (so that the fields of a temporary name split at
 * '.'), at most 32 characters; "host" if unknown. As temporary names and build locks carry it. */
void sgp_host_tag(char *out, size_t cap);
int sgp_path_exists(const char *path);
char *sgp_path_join(const char *a, const char *b);  /* malloc'd */

/* Build locks (core/lock.c, docs/sweeps.md "Shared caches"): one builder per artefact among the
 * processes of one machine or of several sharing a file system. Waits until either ready(ctx)
 * says the artefact is complete and valid (returns 0: reuse it, no lock) or "<path>.lock" is
 * taken (returns 1 and *out: build, then sgp_lock_release). A lock whose holder is a dead process
 * of this host, or whose heartbeat (its mtime, touched every 5 s) has not moved for stale_s
 * seconds, is taken over. note (may be NULL) receives a line when it starts waiting. -1: error. */
typedef struct sgp_lock sgp_lock;
int sgp_lock_build(const char *path, double stale_s, int (*ready)(void *ctx), void *ctx, FILE *note, sgp_lock **out,
                   sgp_err *e);
void sgp_lock_release(sgp_lock *l);

/* SHA-256 */
typedef struct sgp_sha256 {
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t nbuf;
} sgp_sha256;
void sgp_sha256_init(sgp_sha256 *c);
void sgp_sha256_update(sgp_sha256 *c, const void *data, size_t n);
void sgp_sha256_final(sgp_sha256 *c, uint8_t out[32]);
void sgp_sha256_hex(const void *data, size_t n, char out[65]);
int sgp_sha256_file_hex(const char *path, char out[65], sgp_err *e);

/* ============================== JSON config access ============================================ */
/* A view of one JSON object, with the file it came from and its JSON path ("/planner/beta"), so
 * that every error names both: "run.json: /planner/beta: expected a number, got a string".
 * The *_opt getters INSERT the default into the object when the key is absent, so that after a
 * component has read its config the cJSON tree is the fully resolved config (saved in results). */

typedef struct sgp_cfg {
  cJSON *j;
  const char *file;
  char path[512];
} sgp_cfg;

int sgp_json_load(const char *path, cJSON **out, sgp_err *e); /* parse errors give line and column */
int sgp_json_parse(const char *text, const char *name, cJSON **out, sgp_err *e);
/* Same for text[0..len) (no NUL inside); trailing white space allowed. Duplicate keys are errors. */
int sgp_json_parse_len(const char *text, size_t len, const char *name, cJSON **out, sgp_err *e);
/* Deterministic pretty print, written atomically. */
int sgp_json_write(const char *path, const cJSON *j, sgp_err *e);

sgp_cfg sgp_cfg_root(cJSON *j, const char *file);
int sgp_cfg_has(const sgp_cfg *c, const char *key);
int sgp_cfg_obj(const sgp_cfg *c, const char *key, sgp_cfg *out, sgp_err *e);     /* required */
int sgp_cfg_obj_opt(const sgp_cfg *c, const char *key, sgp_cfg *out, sgp_err *e); /* absent: {} inserted */
/* Required array: out views it (path "/agents"), *n its length (n may be NULL). */
int sgp_cfg_array(const sgp_cfg *c, const char *key, sgp_cfg *out, int *n, sgp_err *e);
/* Element i of an array view, which must be an object (path "/agents/2"). */
int sgp_cfg_index(const sgp_cfg *arr, int i, sgp_cfg *out, sgp_err *e);
int sgp_cfg_num(const sgp_cfg *c, const char *key, double *out, sgp_err *e);
int sgp_cfg_num_opt(const sgp_cfg *c, const char *key, double dflt, double *out, sgp_err *e);
int sgp_cfg_float_opt(const sgp_cfg *c, const char *key, double dflt, float *out, sgp_err *e);
/* Integers must be whole numbers within [lo, hi]. */
int sgp_cfg_int(const sgp_cfg *c, const char *key, long lo, long hi, long *out, sgp_err *e);
int sgp_cfg_int_opt(const sgp_cfg *c, const char *key, long lo, long hi, long dflt, long *out, sgp_err *e);
int sgp_cfg_bool_opt(const sgp_cfg *c, const char *key, int dflt, int *out, sgp_err *e);
int sgp_cfg_str(const sgp_cfg *c, const char *key, const char **out, sgp_err *e);
/* dflt NULL: an absent key stays absent and *out = NULL. Strings point into the tree. */
int sgp_cfg_str_opt(const sgp_cfg *c, const char *key, const char *dflt, const char **out, sgp_err *e);
/* String from a fixed set; the error lists the choices. */
int sgp_cfg_enum(const sgp_cfg *c, const char *key, const char *const *names, int n, int dflt,
                 int *out, sgp_err *e); /* dflt < 0: required */
/* Array of numbers; n_expected > 0 requires exactly that length, else 1..maxn. */
int sgp_cfg_num_array(const sgp_cfg *c, const char *key, double *out, int maxn, int n_expected,
                      int *n, sgp_err *e);
/* Array of whole numbers, 0..maxn long (empty allowed: "hidden": [] means no hidden layer). */
int sgp_cfg_int_array(const sgp_cfg *c, const char *key, long *out, int maxn, int *n, sgp_err *e);
/* Rejects keys not in `allowed` (NULL-terminated): "run.json: /planner/bta: unknown field". */
int sgp_cfg_check_keys(const sgp_cfg *c, const char *const *allowed, sgp_err *e);
/* Reading without inserting anything (for files that are recorded as written, such as sweeps): */
/* The item under key, or NULL (also when c is not an object). */
const cJSON *sgp_cfg_get(const sgp_cfg *c, const char *key);
/* Optional object: 1 present (out views it), 0 absent (out->j = NULL), -1 present but not an
 * object. */
int sgp_cfg_obj_if(const sgp_cfg *c, const char *key, sgp_cfg *out, sgp_err *e);
/* Fills e with "<file>: <path>/<key>: <message>" (key NULL: the object itself) and returns -1. */
int sgp_cfg_fail(sgp_err *e, const sgp_cfg *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "a number", "a string", "a boolean", "null", "an array", "an object" (for messages). */
const char *sgp_json_type(const cJSON *j);

/* ============================== progress, time, versions ===================================== */

typedef struct sgp_progress {
  const char *label;
  long total, done;
  double t0, last;
  int enabled; /* stderr is a terminal */
} sgp_progress;

void sgp_progress_begin(sgp_progress *p, const char *label, long total);
void sgp_progress_update(sgp_progress *p, long done, const char *extra); /* redraws at most 10 Hz */
void sgp_progress_end(sgp_progress *p);
/* A duration as "m:ss" or "h:mm:ss" (rounded to the second); "--:--" if negative, NaN or over
 * 359999 s. */
void sgp_fmt_duration(double seconds, char *buf, size_t cap);

double sgp_now(void); /* monotonic seconds */

const char *sgp_git_revision(void); /* generated at build time */
const char *sgp_version(void);
const char *sgp_compiler(void);
const char *sgp_build_type(void);
/* {"sgpbench":..,"git":..,"compiler":..,"openblas":..,"openblas_core":..,"blas_threads":..,"cpu":..}
 * (MuJoCo's version is added by the layers that use it.) */
cJSON *sgp_versions_json(void);
const char *sgp_cpu_model(void); /* from /proc/cpuinfo, static buffer */

/* BLAS threads for this process (OpenBLAS). */
void sgp_blas_set_threads(int n);
int sgp_blas_threads(void);
const char *sgp_blas_corename(void);

#ifdef __cplusplus
}
#endif
#endif

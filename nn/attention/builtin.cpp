// builtin.cpp — the list of attention variants and normalisers that ship with qkv.
//
// The registry (registry.cpp) calls register_builtin_attention() once, before its first lookup
// or registration. An explicit call, not static initialisers: a linker takes from a static
// archive only the object files a program references, and nothing references a variant's file
// until its factory is looked up by name — registration by static initialiser would silently
// vanish under `libqkv.a -lopenblas -lfmt`. A new built-in variant adds one line here.
namespace qkv {

void register_additive_attention();
void register_bilinear_attention();
void register_concat_attention();
void register_conv_attention();
void register_cosine_attention();
void register_dot_attention();
void register_gaussian_attention();
void register_hard_attention();
void register_linear_attention();
void register_local_attention();
void register_scaled_dot_attention();
void register_strided_attention();
void register_pearson_attention();
void register_mlp_sigmoid_attention();
void register_random_keys_attention();
void register_stochastic_hard_attention();
void register_per_position_attention();

void register_entmax15_normaliser();
void register_sigmoid_normaliser();
void register_softmax_normaliser();
void register_sparsemax_normaliser();

void register_builtin_attention() {
  register_additive_attention();
  register_bilinear_attention();
  register_concat_attention();
  register_conv_attention();
  register_cosine_attention();
  register_dot_attention();
  register_gaussian_attention();
  register_hard_attention();
  register_linear_attention();
  register_local_attention();
  register_scaled_dot_attention();
  register_strided_attention();
  register_pearson_attention();
  register_mlp_sigmoid_attention();
  register_random_keys_attention();
  register_stochastic_hard_attention();
  register_per_position_attention();

  register_entmax15_normaliser();
  register_sigmoid_normaliser();
  register_softmax_normaliser();
  register_sparsemax_normaliser();
}

}  // namespace qkv

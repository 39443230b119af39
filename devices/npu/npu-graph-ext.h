/* The part of Intel's Level Zero graph extension ("ZE_extension_graph")
 * the NPU device uses, declared here because Debian ships no header for
 * it. Every size, order and value below is a fact of the published
 * interface (intel/level-zero-npu-extensions, ze_graph_ext.h, read at
 * commit 04703e8740cad79ae74bc05ff52fa18deb8fb86f, extension version
 * 1.10); the names are ours, prefixed OviZe, so that this file never
 * collides with the real header.
 *
 * The driver hands out the extension as a table of function pointers:
 * zeDriverGetExtensionFunctionAddress (driver, "ZE_extension_graph_1_N",
 * &table). Entries are only ever appended between versions, so a table
 * of version 1.N holds every entry up to N; we read those of 1.0, the
 * build log of 1.4 and the initialisation query of 1.8, each only when
 * the driver's version has it. */
#ifndef OVI_NPU_GRAPH_EXT_H
#define OVI_NPU_GRAPH_EXT_H

#include <ze_api.h>

#define OVI_ZE_GRAPH_EXT_NAME "ZE_extension_graph"

typedef struct _ovi_ze_graph_handle_t *OviZeGraph;

/* ze_graph_format_t */
#define OVI_ZE_GRAPH_FORMAT_NATIVE 0x1
#define OVI_ZE_GRAPH_FORMAT_NGRAPH_LITE 0x2

/* ze_structure_type_graph_ext_t */
#define OVI_ZE_STYPE_DEVICE_GRAPH_PROPERTIES 0x1
#define OVI_ZE_STYPE_GRAPH_DESC 0x2
#define OVI_ZE_STYPE_GRAPH_PROPERTIES 0x3
#define OVI_ZE_STYPE_GRAPH_ARGUMENT_PROPERTIES 0x4

/* ze_graph_argument_type_t */
#define OVI_ZE_GRAPH_ARGUMENT_INPUT 0
#define OVI_ZE_GRAPH_ARGUMENT_OUTPUT 1

/* ze_graph_argument_precision_t */
enum {
  OVI_ZE_PRECISION_UNKNOWN = 0x00,
  OVI_ZE_PRECISION_FP32 = 0x01,
  OVI_ZE_PRECISION_FP16 = 0x02,
  OVI_ZE_PRECISION_UINT16 = 0x03,
  OVI_ZE_PRECISION_UINT8 = 0x04,
  OVI_ZE_PRECISION_INT32 = 0x05,
  OVI_ZE_PRECISION_INT16 = 0x06,
  OVI_ZE_PRECISION_INT8 = 0x07,
  OVI_ZE_PRECISION_BF16 = 0x09,
  OVI_ZE_PRECISION_UINT32 = 0x0A,
  OVI_ZE_PRECISION_BOOLEAN = 0x0E,
  OVI_ZE_PRECISION_FP64 = 0x0F,
  OVI_ZE_PRECISION_UINT64 = 0x10,
  OVI_ZE_PRECISION_INT64 = 0x11,
};

/* ze_graph_init_stage_t (1.8) */
#define OVI_ZE_GRAPH_STAGE_COMMAND_LIST_INITIALIZE 0x1
#define OVI_ZE_GRAPH_STAGE_INITIALIZE 0x2

#define OVI_ZE_MAX_GRAPH_ARGUMENT_NAME 256
#define OVI_ZE_MAX_GRAPH_ARGUMENT_DIMENSIONS 5

/* ze_graph_compiler_version_info_t: also the first field of the
 * NGRAPH_LITE input (npu-blob.c). */
typedef struct {
  uint16_t major;
  uint16_t minor;
} OviZeCompilerVersion;

/* ze_device_graph_properties_t */
typedef struct {
  uint32_t stype;
  void *pNext;
  uint32_t graphExtensionVersion;
  OviZeCompilerVersion compilerVersion;
  uint32_t graphFormatsSupported;
  uint32_t maxOVOpsetVersionSupported;
} OviZeDeviceGraphProperties;

/* ze_graph_desc_t */
typedef struct {
  uint32_t stype;
  void *pNext;
  uint32_t format;
  size_t inputSize;
  const uint8_t *pInput;
  const char *pBuildFlags;
} OviZeGraphDesc;

/* ze_graph_properties_t */
typedef struct {
  uint32_t stype;
  void *pNext;
  uint32_t numGraphArgs;
} OviZeGraphProperties;

/* ze_graph_properties_2_t (1.8) */
typedef struct {
  uint32_t stype;
  void *pNext;
  uint32_t numGraphArgs;
  uint32_t initStageRequired;
} OviZeGraphProperties2;

/* ze_graph_argument_properties_t */
typedef struct {
  uint32_t stype;
  void *pNext;
  char name[OVI_ZE_MAX_GRAPH_ARGUMENT_NAME];
  uint32_t type;
  uint32_t dims[OVI_ZE_MAX_GRAPH_ARGUMENT_DIMENSIONS];
  uint32_t networkPrecision;
  uint32_t networkLayout;
  uint32_t devicePrecision;
  uint32_t deviceLayout;
} OviZeGraphArgumentProperties;

/* ze_graph_dditable_ext_t, in its order. */
typedef struct {
  /* 1.0 */
  ze_result_t (*create) (ze_context_handle_t context,
      ze_device_handle_t device, const OviZeGraphDesc *desc,
      OviZeGraph *graph);
  ze_result_t (*destroy) (OviZeGraph graph);
  ze_result_t (*get_properties) (OviZeGraph graph,
      OviZeGraphProperties *properties);
  ze_result_t (*get_argument_properties) (OviZeGraph graph, uint32_t index,
      OviZeGraphArgumentProperties *properties);
  ze_result_t (*set_argument_value) (OviZeGraph graph, uint32_t index,
      const void *value);
  ze_result_t (*append_graph_initialize) (ze_command_list_handle_t list,
      OviZeGraph graph, ze_event_handle_t signal, uint32_t n_wait,
      ze_event_handle_t *wait);
  ze_result_t (*append_graph_execute) (ze_command_list_handle_t list,
      OviZeGraph graph, void *profiling_query, ze_event_handle_t signal,
      uint32_t n_wait, ze_event_handle_t *wait);
  void *get_native_binary;
  ze_result_t (*device_get_graph_properties) (ze_device_handle_t device,
      OviZeDeviceGraphProperties *properties);
  /* 1.1 to 1.3: unused here */
  void *unused_1_1[2];
  void *unused_1_2[1];
  void *unused_1_3[3];
  /* 1.4 */
  ze_result_t (*build_log_get_string) (OviZeGraph graph, uint32_t *size,
      char *log);
  /* 1.5 to 1.7: unused here */
  void *unused_1_5[3];
  void *unused_1_6[1];
  void *unused_1_7[1];
  /* 1.8 */
  ze_result_t (*get_properties2) (OviZeGraph graph,
      OviZeGraphProperties2 *properties);
  ze_result_t (*graph_initialize) (OviZeGraph graph);
} OviZeGraphTable;

#endif

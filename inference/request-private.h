#ifndef OVI_REQUEST_PRIVATE_H
#define OVI_REQUEST_PRIVATE_H

#include "ovi.h"

G_BEGIN_DECLS

/* Called on a worker thread for a request queued by infer_async. */
void ovi_request_run_async_job (OviRequest *request);

G_END_DECLS

#endif

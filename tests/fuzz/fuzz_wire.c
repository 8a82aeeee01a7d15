/*
 * libFuzzer: bytes as what a peer sent → wire_scan, and the replies we
 * frame ourselves.  A request wire_scan accepts must lie within the
 * input, and its name-value pairs must all fit (that is what keeps
 * libfcgi's Malloc assertion from firing).
 */
#include <stdlib.h>
#include <string.h>

#include "mta-sts-fcgi.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char	 out[3 * 65536], copy[WIRE_PEEK_MAX + 65536];
	struct wire_scan	 ws;
	struct route_request	 rr;
	size_t			 n;
	int			 i;

	if (size > sizeof(copy))
		return 0;

	wire_scan(data, size, &ws);
	switch (ws.status) {
	case WIRE_REQUEST:
		if (ws.len == 0 || ws.len > size || ws.id == 0 ||
		    ws.params > WIRE_PARAMS_MAX ||
		    (ws.trailing != 0) != (ws.len < size))
			abort();
		/* Every value found lies inside the request, before its end. */
		for (i = 0; i < WIRE_PARAMS; i++)
			if (ws.value_len[i] >= 0 && ws.value_at[i] +
			    (size_t)ws.value_len[i] >= ws.len)
				abort();
		if (!ws.split) {
			memcpy(copy, data, size);
			if (route_from_wire(copy, &ws, &rr) != 0)
				abort();
		}
		break;
	case WIRE_MANAGEMENT:
		if (ws.len < 8 || ws.len > size)
			abort();
		n = wire_management(data, 1000, out, sizeof(out));
		if (n < 8 || n > WIRE_MANAGEMENT_MAX)
			abort();
		break;
	default:
		break;
	}
	/* One header per STDOUT record, the empty one, END_REQUEST. */
	n = wire_response(ws.id, (const char *)data, size, out, sizeof(out));
	if (n != size + (size + 65534) / 65535 * 8 + 8 + 16)
		abort();
	return 0;
}

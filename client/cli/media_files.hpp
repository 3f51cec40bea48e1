// How chatnode-client names media (docs/cli.md, "Media"): the protocol has no file name,
// so the client puts it into the mediaId it chooses, "<16 letters/digits>.<file name>" (as
// the web client does), and reads it back from offers and history. Also the MIME type
// guessed from a file name.
#pragma once

#include <string>
#include <string_view>

namespace chatnode::cli {

// The mediaId for sending a file named `file_name` whose content has SHA-256 `content_sha256`
// (hex) from `self` to `receiver`: 16 letters and digits from SHA-256 over those four, a '.'
// and the file name made safe ([A-Za-z0-9._-], at most 100 bytes, extension kept). The same
// file to the same receiver gets the same id, so sending it again resumes an unfinished
// upload instead of starting another.
std::string media_id_for(std::string_view self, std::string_view receiver, std::string_view content_sha256,
                         std::string_view file_name);
// `name` with every byte outside [A-Za-z0-9._-] replaced by '_', at most 100 bytes (the
// extension kept), never starting with '.'; "file" for an empty name.
std::string safe_file_name(std::string_view name);
// The file name a mediaId carries ("" when it follows no convention this client knows).
// A "~suffix" a node adds to an id taken on its side is dropped.
std::string media_name(std::string_view media_id);
// The name to show for a media: media_name(), else the mediaId.
std::string display_media_name(std::string_view media_id);
// The name to save a fetched media as: media_name(), else the safe mediaId plus an
// extension for `media_type` when one is known.
std::string save_name(std::string_view media_id, std::string_view media_type);
// The MIME type for a file name's extension; application/octet-stream when unknown.
std::string guess_mime_type(std::string_view file_name);

}  // namespace chatnode::cli

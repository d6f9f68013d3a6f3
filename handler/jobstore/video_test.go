package jobstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bedrockvideo/pipeline/handler/awsfake"
)

func TestFindVideo(t *testing.T) {
	const id, inv = "m-1", "abc123def456"
	tests := []struct {
		name    string
		objects []string // keys under videos/m-1/
		want    string   // "" for none
	}{
		{"nova layout", []string{"job.json", inv + "/manifest.json", inv + "/output.mp4", inv + "/shot_0001.mp4"}, inv + "/output.mp4"},
		{"luma, undocumented layout", []string{"job.json", "generations/" + inv + "-video.mp4"}, "generations/" + inv + "-video.mp4"},
		{"the job's own folder wins", []string{"aaa.mp4", inv + "/video.MP4"}, inv + "/video.MP4"},
		{"no video", []string{"job.json", inv + "/manifest.json", inv + "/output.mp4.tmp"}, ""},
		{"empty prefix", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, fake := newStore(t)
			fake.Put(bucket, "videos/m-10/"+inv+"/output.mp4", []byte("another message's video"), "video/mp4")
			for _, k := range tt.objects {
				fake.Put(bucket, "videos/"+id+"/"+k, []byte("x"), "")
			}
			key, found, err := store.FindVideo(context.Background(), id, inv)
			if err != nil {
				t.Fatal(err)
			}
			if want := "videos/" + id + "/" + tt.want; found != (tt.want != "") || (found && key != want) {
				t.Errorf("FindVideo = %q, %v; want %q", key, found, tt.want)
			}
		})
	}
}

func TestFindVideoPagesThroughTheListing(t *testing.T) {
	store, fake := newStore(t)
	fake.MaxListKeys = 2
	for i := range 7 {
		fake.Put(bucket, fmt.Sprintf("videos/m/a%02d.json", i), []byte("{}"), "application/json")
	}
	fake.Put(bucket, "videos/m/z/clip.mp4", []byte("x"), "video/mp4")
	key, found, err := store.FindVideo(context.Background(), "m", "inv")
	if err != nil || !found || key != "videos/m/z/clip.mp4" {
		t.Errorf("FindVideo = %q, %v, %v; want the .mp4 on the fourth page", key, found, err)
	}
}

func TestFindVideoWithoutListPermission(t *testing.T) {
	store, fake := newStore(t)
	fake.DenyList(bucket, "videos/")
	_, _, err := store.FindVideo(context.Background(), "m", "inv")
	if err == nil || !strings.Contains(err.Error(), "access denied") || !strings.Contains(err.Error(), "s3:ListBucket") {
		t.Errorf("got %v", err)
	}
}

func TestFindVideoFault(t *testing.T) {
	store, fake := newStore(t)
	internal := awsfake.Fault{Code: "InternalError", Status: 500, Message: "We encountered an internal error."}
	fake.Inject(awsfake.OpListObjectsV2, internal, internal, internal) // outlasts the SDK's three attempts
	if _, _, err := store.FindVideo(context.Background(), "m", "inv"); err == nil || !strings.Contains(err.Error(), "listing s3://video-output/videos/m/") {
		t.Errorf("got %v", err)
	}
}

package object

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkGeoDistance(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([][4]float64, 1024)
	for i := range pts {
		pts[i] = [4]float64{r.Float64()*360 - 180, r.Float64()*170 - 85, r.Float64()*360 - 180, r.Float64()*170 - 85}
	}
	b.Run("exact", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p := pts[i&1023]
			GeoDistance(p[0], p[1], p[2], p[3])
		}
	})
	b.Run("fast", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p := pts[i&1023]
			geoDistanceFast(p[0], p[1], p[2], p[3])
		}
	})
}

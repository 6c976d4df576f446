package langdetect

import "testing"

func TestDetect(t *testing.T) {
	d, err := New([]string{"en", "es", "fr", "pt"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		text, want string
		ok         bool
	}{
		{"Hola, necesito ayuda con mi factura", "es", true},
		{"Hola, tengo un problema con mi pedido", "es", true}, // Spanish 0.66, Portuguese 0.30
		{"Bonjour, j'ai un problème avec ma commande", "fr", true},
		{"Olá, preciso de ajuda com o meu pedido", "pt", true},
		{"Hi, my order never arrived", "en", true},
		{"ok", "", false},
		{"👍👍", "", false},
	}
	for _, c := range cases {
		got, ok := d.Detect(c.text)
		if got != c.want || ok != c.ok {
			t.Errorf("%q: %q %v, want %q %v", c.text, got, ok, c.want, c.ok)
		}
	}
	if _, err := New([]string{"en", "tlh"}); err == nil {
		t.Error("Klingon accepted")
	}
}

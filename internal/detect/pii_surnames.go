package detect

import (
	"strings"
	"sync"
)

// This file holds the second half of the name lexicon: more given names
// (Central and Eastern Europe, the Nordic countries, Southern Europe, the
// Middle East, South and East Asia, Africa), frequent surnames from the same
// regions, and surname endings. All were compiled by the project from
// general knowledge; no third-party list was copied. Surnames that are also
// common words, places or brands (Baker, Young, Ford, Lima) are left out on
// purpose: a listed surname alone is reported as a name.

// moreGivenNames extends givenNames (pii_names_list.go).
const moreGivenNames = `
abel addison alberto alden alfie alfonso alfredo allie alvaro amari amaya angelo annika ansel anya
araceli arlo armando arturo ashlee ashleigh beau benito bennett bert bertha bobbie bobby braden brady
brenna brennan britney brock bryant bryson byron caden callie camille candice carina carissa carlton
carmela carrie carson cassidy cassie cecil celeste celia cesar chantal christa christie ciara clair
clare claudette clement clint colton conrad consuelo cornelius cristina cristian dalton damien dane
dante darius darla darnell daryl deandre delores demetrius denis desmond devon dexter diego dillon
dina dominique donovan dorian dorothea doug dwight edmund elias elisabeth eliza emil emilia emilio
emmett enrique ernesto esperanza estelle esteban eunice everett ezra fabian fiona flora fletcher
francesca francisco gemma genevieve georgina gerard gerardo gertrude gideon gilberto giovanni giselle
gisela greta griffin guillermo gustavo hilda hubert humberto ignacio imogen ingrid irma isaiah ismael
jaden jaime janelle janine jarrod jasmin javier jaylee jayden jillian joann joaquin johnathan jonah
jonas josefina josie jude julius kaleb kaitlin karina kasey katharine kaylee kellie kelvin kendall
kennedy kerri kieran kirsten kristopher latasha latoya laurel layla leann leanne leigh leonardo
lesley lila lilian lilly lionel lorenzo loretta lucia luciano lucinda magdalena malcolm manuel
marcel marcella marcelo marco margarita margot mariah mariana marianne maribel marina mario marisa
marissa marla marlon marta maryann mateo matilda maxwell meagan micah michaela mickey millie moira
monique morris moses myles myra nadine natalia nathalie nicolas nikki noelle nolan norbert octavia
omar orlando orville otis pablo patrice pedro phoebe quentin rachael rafael ramon raphael raul reggie
rene reuben rhett roberto rocco roderick rodolfo rogelio rolando romeo ronan rosalie rosario rudy
rupert sabina santiago saul selma serena sergio shari sheldon sheri sienna silas silvia sonya stefan
stefanie sylvester tabitha tami tania tatiana terence terrell thelma theodora tobias trent tristan
ulysses ursula valentina valeria wilbur wilfred winifred yasmin yesenia yvette yvonne zachary zoe
halina krystyna danuta jadwiga grazyna elzbieta dorota beata iwona renata marzena sylwia weronika
klaudia roksana kinga julita bogdan dariusz mariusz jaroslaw zbigniew tadeusz kazimierz stanislaw
jerzy ryszard henryk waldemar przemyslaw kacper szymon bartosz patryk mieszko radoslaw slawomir
leszek marek janusz wieslaw witold zygmunt bozena halina
bohuslav jaroslav miroslav ladislav radek vojtech zdenka vlasta blazena jarmila dagmar alena radka
simona bohumil
velimir bozica natalija tihomila jozica majda zlata mirjana branka vesna snjezana zeljko ivica damir
tomislav kresimir bojan mladen mirko slavko zdravko alojz
csanad krisztian szebasztian gyorgy ferenc jozsef imre lajos mihaly tibor bela gyula miklos andras
levente bence reka timea aniko orsolya dorottya zsuzsanna judit noemi hajnalka piroska ilona margit
lasse mikkel signe inger lilja rakel oline frederikke keijo jouko valtteri onni aija ingthor unnsteinn
hallgerdur thorbergur oona tove birgitta kjersti marit randi trine torill vigdis bodil dorte hanne
kirsten vibeke asger esben frode henning jesper jorgen kjeld mogens preben torben troels ulrik aksel
birger bertil bengt goran hakan ingvar lennart leif mats ove stig torsten ulf arvid eero hannu ilkka
kalle kimmo lauri markku olli pasi raimo reijo risto seppo tapani tapio teemu veikko vesa annikki
eeva hilkka irja kaarina kirsi liisa maarit marjatta pirjo raija riitta ritva satu seija sirkka terhi
tuula anneli jonna sigridur margret thordur stefan ragnar hafsteinn unnur
anke annegret bernd burkhard detlef dietrich egon elke erwin friedrich gerhard gunther hannelore
harald hartmut heinrich heinz helmut hermann horst ilse ingo irmgard jorg lothar manfred margarete
rainer reinhard rolf rudiger siegfried ulrich ute volker werner wilhelm
geert gerrit hendrik jeroen johannes kees marijke mieke rutger wim wouter annemiek saskia
adele agathe amandine anais arnaud aude benoit bertrand brigitte cedric clotilde colette corinne
delphine didier emile etienne fabrice gael gaelle ghislaine gilles henri honore hugues jules lucien
marcelle martine michele mireille murielle odette pascal pascale solange sylvain thibault yann
yannick yves gaston lucienne marguerite paulette simone oceane
alessandro alessio antonella antonietta aurelio carlo cesare claudio corrado cristiano dario davide
domenico donatella elio emanuele enrico enzo ettore fabio fabrizio filippo fiammetta franco gabriele
gaetano giacomo gianluca gianni gino giorgio giovanna giulio giuseppe giuseppina guido luca luigi
maurizio massimo matteo mauro michela nicola paolo pasquale piero raffaele renato riccardo salvatore
sandro silvio stefano tiziana tommaso umberto valerio vincenzo vittore vittorio
adolfo agustin aitana amparo andres beatriz belen catalina concepcion cristobal encarnacion eugenia
fausto felipe fernanda gonzalo graciela horacio inmaculada jacinto jorge josefa julio leticia lourdes
luciana manuela marcos mariano marisol milagros montserrat nerea nuria octavio pilar rocio rodrigo
soledad teodoro valentin vicente afonso bruna caio diogo duarte fabiana joao leandro luana marcio
matheus otavio paulo rafaela tiago thiago vinicius guiomar
ahmet ayse aysel burak elif emel emine esra fatma hasan huseyin ibrahim ismail kemal mehmet merve
murat mustafa necla omer onur ozlem omur ramazan recep selin serkan sibel sinan tarik tugba ugur
volkan yasemin yusuf zeynep
aaliyah abdul abdullah adel ahmad ahmed aisha akram amina amir amira anwar asma ayman aziz bilal fadi
farah farid fatima faisal hadi hamid hamza hassan hiba hussein iman imran iqra jamal karim khadija
khalid mahmoud majid mariam maryam mohamed mohammad mohammed muhammad nabil nasser rami rania rashid
reza saeed salim salma samir samira sana tariq walid youssef zainab zahra ziad arash babak dariush
farhad farzaneh hossein kian mahsa mehdi navid parisa pouya roya sahar shirin soheila
aarav abhishek aditi aditya ajay akash amit ananya anil anjali ankit anuj arjun arun ashok deepak
deepika divya gaurav harish isha karan kavita krishna lakshmi manish meena mohan neha nikhil nisha
pooja prakash pranav priya rahul rajesh rajiv ramesh ravi rohit sachin sanjay sanjeev sunil sunita
suresh swati tanvi varun vijay vikram vinod vivek
akira asuka ayaka daiki haruka haruto hideo hiroshi hiroko hitomi iwao kaoru kazuki kenji koji
makoto mariko masako megumi minoru naoki riku satoshi shinji takahito takashi takeshi taro tomoko
yoko yoshiko yuki yumi yumika yusuke yuto
aleksandr anatoliy arkady daniil egor fedor fyodor gennady grigory ilya inna inessa kseniya larisa
leonid lidiya lyubov nikita raisa ruslan semyon taras timur vasily viktoriya vitaly vladislav
vyacheslav yaroslav yegor yevgeny zhanna zoya valery
abdou amadou aminata fatou ibrahima mamadou moussa ousmane seydou adama kwabena chukwuemeka olumide
kehinde taiwo bukola zanele nomsa sibusiso lindiwe tendai farai tatenda chipo
`

// surnameList holds frequent surnames, lower case without diacritics.
const surnameList = `
anderson thompson robinson clark lewis walker allen wright scott adams nelson mitchell roberts turner
phillips campbell parker evans edwards collins stewart morris rogers murphy bailey rivera cooper
richardson howard ward torres peterson watson brooks kelly sanders bennett barnes henderson coleman
jenkins perry powell patterson hughes flores butler simmons foster gonzales bryant russell griffin
hayes myers hamilton graham sullivan wallace owens reynolds fisher ellis harrison gibson mcdonald
ortiz murray freeman webb simpson stevens tucker hicks crawford boyd morales kennedy dixon ramos
reyes burns gordon shaw holmes robertson daniels palmer nichols ferguson hawkins dunn perkins
spencer gardner stephens payne pierce matthews arnold wagner willis watkins olson carroll duncan
snyder cunningham bradley andrews ruiz harper riley armstrong greene lawrence elliott chavez sims
peters kelley lawson gutierrez ryan schmidt carr vasquez castillo wheeler chapman montgomery
richards williamson johnston meyer mccoy howell alvarez morrison hansen fernandez garza harvey
burton nguyen jacobs reid fuller lynch garrett romero welch larson frazier burke hanson mendoza
moreno bowman fowler brewer hoffman carlson pearson fleming jensen vargas byrd davidson hopkins
herrera soto walters curtis neal caldwell lowe jennings barnett jimenez horton shelton barrett
obrien castro sutton mckinney chambers lambert fletcher watts bates hale rhodes pena beck newman
haynes mcdaniel mendez vaughn dawson norris steele schultz barker guzman munoz keller chandler weber
leonard walsh lyons ramsey wolfe schneider mullins benson bowen cummings hines baldwin griffith
valdez hubbard salazar reeves warner stevenson burgess tate garner thornton mcgee delgado aguilar
vega glover manning cohen harmon rodgers robbins newton todd ingram reese strickland townsend
goodwin walton rowe hampton ortega patton swanson goodman maldonado yates becker erickson hodges
rios conner adkins webster malone hammond cobb moody osborne mccarthy guerrero estrada sandoval
gibbs fitzgerald stokes doyle saunders gill alvarado greer padilla nunez ballard schwartz mcbride
christensen klein pratt briggs parsons mclaughlin zimmerman buchanan moran copeland pittman brady
mccormick holloway poole abbott norton huff clayton massey lloyd figueroa bowers roberson barton tran
harrington boone cortez clarke mathis singleton wilkins underwood hogan mckenzie collier phelps
mcguire wilkerson atkins wilcox pitts conley marquez burnett cochran davenport ayala sawyer vazquez
dickerson hodge acosta flynn espinoza nicholson monroe morrow whitaker oconnor skinner molina kirby
huffman dominguez oneal combs kramer hancock gallagher gaines shaffer wiggins mathews mcclain
fischer melton hensley dyer grimes contreras baxter mosley larsen hoover beasley petersen whitehead
meyers garrison olsen schroeder hartman woodard mueller kemp deleon patel calhoun wiley eaton cline
navarro harrell humphrey parrish duran hutchinson hess dorsey bullock robles dalton avila vance
blackwell blankenship trevino salinas campos pruitt callahan montoya hardin guerra mcdowell stafford
gallegos henson wilkinson merritt atkinson decker hobbs pacheco stephenson rojas serrano hickman
sweeney mcclure conway roth maynard farrell lowery hurst weiss trujillo ellison juarez mclean
villarreal mccall gentry carrillo ayers sexton leblanc browning velasquez mercado landry bartlett
bauer bradshaw pugh velez estes dodson sheppard camacho barron livingston middleton blevins kerr
mcconnell hatfield harding solis blackburn pennington woodward finley mcintosh koch mccullough
dudley blanchard rivas brennan mejia benton buckley maddox russo mcknight mcmillan crosby dotson
faulkner oneill knapp kline ochoa jacobson hendricks cardenas mcintyre donaldson cantu terrell
gillespie fuentes tillman sanford bentley salas rollins dickson cabrera cervantes hinton hurley
zamora mcneil suarez gould mcfarland sampson bray melendez farley galloway aguirre osborn bender
sykes pickett dunlap mckay coffey mccarty ewing cooley vaughan bonner ferrell cantrell calderon
pollard hooper mullen levy daugherty dillard alston jarvis odom duffy fitzpatrick valenzuela merrill
alford mcpherson acevedo donovan barrera reilly mcgowan clemons wynn nielsen baird stanton snider
rosales witt rutledge kinney castaneda slater hahn burks delaney lancaster tyson whitfield macias
irwin ratliff mccray kaufman bolton mcfadden levine byers kirkland kidd carney mcleod holcomb
hendrix sosa haney sargent nieves rasmussen hewitt foreman valencia delacruz vinson dejesus hyde
forbes gilliam guthrie wooten huber barlow boyle mcmahon buckner rocha puckett langley knowles
velazquez whitley
muller schulz hoffmann schafer richter schroder neumann schwarz zimmermann kruger hofmann hartmann
schmitt werner schmitz krause meier lehmann schmid schulze maier kohler herrmann konig scholz moller
schubert vogel friedrich winkler baumann franke albrecht schuster ludwig bohm kraus schumacher vogt
jager seidel brandt haas schreiber schulte dietrich ziegler kuhn pohl bergmann voigt sauer wolff
pfeiffer fleischer jansen janssen visser smit meijer mulder dijkstra hendriks dekker brouwer smits
hoekstra vermeulen schouten willems verhoeven koster huisman peeters goossens wouters dubois
lefebvre durand leroy moreau laurent fournier morel girard lefevre mercier dupont bonnet garnier
faure rousseau guerin roussel perrin gauthier dumont fontaine chevalier masson gerard boyer lemaire
duval gautier meunier marchand dufour barbier brunet leroux renard rolland caron aubert giraud
leclerc bourgeois renaud lemoine picard gaillard leclercq lacroix fabre dupuis guillot riviere
menard fleury deschamps carpentier maillard marchal vasseur renault jacquet prevost poirier
charpentier dupuy perrot guyot lafontaine beauchemin
rossi esposito bianchi romano colombo ricci greco gallo conti mancini giordano rizzo lombardi
moretti barbieri santoro mariani rinaldi caruso galli leone gentile martinelli vitale lombardo
coppola marchetti parisi ferraro fabbri marini grasso valentini messina gatti pellegrini palumbo
sanna farina rizzi cattaneo morelli amato silvestri mazza grassi pellegrino carbone giuliani
benedetti barone rossetti caputo montanari palmieri bernardi ferretti bellini basile donati piras
vitali battaglia sartori costantini milani pagano ruggiero sorrentino damico negri mazzi schiavone
garcia gonzalez rodriguez lopez martinez sanchez perez gomez hernandez diaz alonso navarro ramirez
iglesias garrido cortes lozano prieto gallego marquez carrasco caballero nieto pascual herrero
hidalgo montero ibanez gimenez ferrer benitez carmona crespo saez velasco soler moya gallardo
oliveira pereira carvalho almeida ferreira ribeiro rodrigues gomes martins lopes alves araujo
barbosa cardoso nascimento teixeira moreira correia mendes pinto monteiro cavalcanti azevedo
freitas vieira cunha machado coelho barros fonseca andrade tavares magalhaes nogueira sousa souza
cavazos salcido urias
andersson johansson karlsson nilsson eriksson larsson olsson persson svensson gustafsson
pettersson jonsson jansson hansson bengtsson lindberg lindstrom lindqvist lindgren bergstrom
axelsson lundberg lundgren sandberg forsberg sjoberg wallin engstrom eklund danielsson lundin
hakansson samuelsson fransson wikstrom isaksson nystrom holmberg arvidsson soderberg nyberg
mattsson blomqvist johansen kristiansen pedersen nilsen karlsen johnsen pettersen eriksen haugen
johannessen andreassen jacobsen halvorsen henriksen sorensen jakobsen gundersen iversen solberg
svendsen knutsen martinsen paulsen bakken kristensen mathisen amundsen madsen thomsen poulsen
christiansen mortensen mikkelsen frederiksen laursen clausen mikaelsen hermansen korhonen virtanen
makinen nieminen makela hamalainen heikkinen koskinen jarvinen lehtonen lehtinen saarinen salminen
heinonen heikkila kinnunen salonen turunen laitinen tuominen rantanen karjalainen jokinen mattila
savolainen lahtinen ahonen hyvonen
nowak kowalski wisniewski wojcik kowalczyk kaminski lewandowski zielinski szymanski wozniak
dabrowski kozlowski jankowski mazur kwiatkowski krawczyk piotrowski grabowski nowakowski pawlowski
michalski nowicki adamczyk dudek zajac wieczorek jablonski majewski olszewski jaworski wrobel
malinowski pawlak witkowski walczak stepien gorski rutkowski michalak sikora ostrowski szewczyk
tomaszewski pietrzak marciniak zalewski jakubowski jasinski zawadzki sadowski chmielewski
wlodarczyk borkowski czarnecki sawicki sokolowski kubiak maciejewski szczepanski kucharski
kalinowski mazurek wysocki kazmierczak wasilewski sobczak czerwinski cieslak glowacki kolodziej
sikorski krajewski szulc baranowski laskowski brzezinski makowski przybylski klimek kaczmarek
novak svoboda novotny dvorak cerny prochazka kucera vesely horak nemec pokorny pospisil hajek
jelinek ruzicka benes sedlacek dolezal zeman navratil cermak vanek kratochvil
nagy kovacs toth szabo horvath varga molnar nemeth farkas balogh takacs juhasz lakatos meszaros
szilagyi fekete torok balazs szucs kocsis pinter fodor szalai sipos lukacs gulyas katona boros
fazekas kelemen orban somogyi vincze hegedus bodnar hajdu
kovacevic babic maric juric kovacic knezevic vukovic markovic petrovic matic tomic pavlovic bozic
blazevic grgic pavic radic peric jovanovic nikolic ilic djordjevic stojanovic popovic zivkovic
lovric jankovic simic ivankovic galic
ivanov smirnov kuznetsov popov vasiliev petrov sokolov mikhailov novikov fedorov morozov volkov
alekseev lebedev semenov egorov kozlov stepanov nikolaev orlov andreev makarov nikitin zakharov
zaitsev solovyov borisov yakovlev grigoriev vorobyov sergeev kuzmin frolov alexandrov dmitriev
korolev gusev kiselev maksimov polyakov sorokin vinogradov kovalev belov medvedev antonov tarasov
zhukov baranov filippov komarov davydov belyaev gerasimov bogdanov osipov sidorov matveev titov
mironov krylov kulikov karpov vlasov melnikov denisov gavrilov tikhonov kazakov afanasiev danilov
timofeev chernov abramov martynov efimov fedotov shcherbakov nazarov isaev bykov maslov rodionov
konovalov lazarev voronin klimov filatov ponomarev golubev kudryavtsev prokhorov naumov potapov
zhuravlev ovchinnikov trofimov sobolev ermakov kolesnikov goncharov emelyanov nikiforov grachev
gromov kirillov malyshev moiseev rumyantsev akimov kondratiev biryukov gorbunov anisimov tikhomirov
lukyanov skvortsov yudin belousov nesterov kharitonov knyazev tsvetkov mitrofanov voronov aksenov
shevchenko kovalenko bondarenko tkachenko kravchenko oliynyk shevchuk polishchuk tkachuk marchenko
lysenko rudenko savchenko petrenko
suzuki takahashi tanaka watanabe yamamoto nakamura kobayashi yoshida yamada sasaki yamaguchi
matsumoto inoue kimura hayashi shimizu yamazaki ikeda hashimoto yamashita nakajima maeda fujita
okada hasegawa murakami kondo saito sakamoto aoki fujii nishimura fukuda miura fujiwara okamoto
matsuda nakagawa harada tamura takeuchi kaneko nakayama ishida morita shibata yokoyama miyazaki
miyamoto uchida takagi taniguchi maruyama takada fujimoto takeda murata sugiyama masuda sugawara
hirano otsuka iwasaki sakurai kinoshita noguchi matsuo nomura kikuchi onishi sugimoto morishita
yoshimura fukunaga
zhang wang liu chen huang zhao zhou guo zheng liang xie feng deng peng zeng xiao yuan jiang cui
zhong choi yoon kwon hwang tran pham hoang phan nguyen
sharma singh kumar gupta mehta joshi desai reddy iyer menon pillai chopra kapoor malhotra agarwal
bhatt chauhan verma yadav mishra pandey tiwari dubey banerjee chatterjee mukherjee ghosh dutta
chaudhary saxena srivastava trivedi kulkarni patil deshpande naidu krishnan subramanian khan hussain
siddiqui qureshi ansari chaudhry akhtar rahman hossain chowdhury
haddad khalil saleh mansour farouk darwish habib najjar khoury sabbagh azzam othman
yilmaz kaya demir sahin celik yildiz yildirim ozturk aydin ozdemir arslan dogan kilic aslan cetin
ozkan simsek polat ozcan korkmaz cakir erdogan yavuz aktas guler yalcin bozkurt keskin unal ozer
kaplan yuksel aksoy
papadopoulos papadakis georgiou nikolaou dimitriou ioannou konstantinou christodoulou pappas
karagiannis oikonomou antoniou alexiou athanasiou petridis panagiotou
byrne doherty connolly daly dunne maguire callaghan oreilly kavanagh donnelly mcdonagh macleod
macdonald mackenzie fraser mackay sinclair mcgregor maclean munro
`

// surnameEndings are endings that mark a capitalised word as a surname in
// many languages (Slavic -ova/-ski/-enko, Nordic -sson/-dottir/-sen,
// Finnish -nen, Greek -poulos, Romanian -escu, Georgian -shvili/-dze,
// Armenian -yan, Spanish -ez, Japanese -moto/-mura). Endings shared with
// ordinary words ("-ic": Atlantic, "-ian": Italian, "-ini": martini) are
// left out.
var surnameEndings = []string{
	"ova", "eva", "ski", "ska", "sky", "skiy", "skaya", "enko", "chuk", "czuk", "czyk",
	"ovich", "evich", "ovna", "evna", "ovic", "evic", "ov", "ev", "sson", "dottir", "sen",
	"nen", "poulos", "poulou", "akis", "escu", "shvili", "dze", "yan", "ez", "moto", "mura", "zawa",
	"gawa", "kawa", "hashi", "guchi", "oglu", "zadeh",
}

// surnameEndingStop are words with a surname ending that are not names.
var surnameEndingStop = map[string]bool{
	"whatsoever": true, "warszawa": true, "moldova": true, "alaska": true, "nebraska": true, "whisky": true, "frisky": true, "chosen": true, "seven": true, "eleven": true, "even": true, "given": true,
	"heaven": true, "driven": true, "proven": true, "woven": true, "oven": true, "moscow": true,
	"kiev": true, "rostov": true, "kharkov": true, "kosovo": true, "improv": true,
	"prev": true, "dev": true, "rev": true, "nov": true, "sky": true, "ska": true, "gazprom": true,
	"ramen": true, "linen": true, "oxen": true, "essen": true, "dresden": true, "arsen": true,
	"mazda": true, "sarajevo": true, "nova": true, "casanova": true, "geneva": true, "eva": true,
	"diva": true, "java": true, "lava": true, "saliva": true, "ikea": true, "yerevan": true, "pyongyang": true,
	"fez": true, "suez": true, "jerez": true, "kawa": true, "javanese": true,
	"yokohama": true, "ishikawa": true, "okinawa": true, "shizuoka": true, "hiroshima": true,
	"kanazawa": true, "tbilisi": true, "yamaha": true, "stansted": true, "citizen": true,
	"kitchen": true, "chicken": true, "golden": true, "garden": true, "hidden": true, "sudden": true,
	"broken": true, "spoken": true, "taken": true, "token": true, "woken": true, "wooden": true,
	"warden": true, "burden": true, "sweden": true, "listen": true, "often": true,
	"christen": true, "glisten": true, "fasten": true, "hasten": true, "moisten": true, "loosen": true,
	"frozen": true, "dozen": true, "unseen": true, "sixteen": true, "fifteen": true, "screen": true,
}

// nameLexicon is the compiled name lexicon.
type nameLexicon struct {
	given    map[string]bool
	surnames map[string]bool
}

// names builds the lexicon once; it is read-only after.
var names = sync.OnceValue(func() *nameLexicon {
	l := &nameLexicon{given: make(map[string]bool, 3200), surnames: make(map[string]bool, 2000)}
	for _, list := range []string{givenNames, moreGivenNames, ambiguousGivenNames} {
		for w := range strings.FieldsSeq(list) {
			l.given[w] = true
		}
	}
	for w := range strings.FieldsSeq(surnameList) {
		l.surnames[w] = true
	}
	return l
})

// isSurname reports whether key (lower case, diacritics folded, so that
// "-ová" and "-dóttir" meet their endings) is a listed surname or has a
// surname ending.
func isSurname(key string) bool {
	if names().surnames[key] {
		return true
	}
	return surnameShape(key)
}

// surnameShape reports whether key ends like a surname. Short words are
// not judged: "Ev", "Ova" and "Sen" say nothing.
func surnameShape(key string) bool {
	if len(key) < 5 || surnameEndingStop[key] {
		return false
	}
	for _, suf := range surnameEndings {
		if strings.HasSuffix(key, suf) && len(key) >= len(suf)+3 {
			// "-ez" needs a longer stem: "Suez", "Diez" are not names.
			if suf == "ez" && len(key) < 6 {
				return false
			}
			return true
		}
	}
	return false
}
